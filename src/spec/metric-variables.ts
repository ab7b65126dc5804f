/**
 * Flagger-style `{{ name }}` variables in a metric's queries, URLs and commands. Those known when the
 * spec is read (the rollout, its namespace, the metric's interval) are filled by normalisation; those
 * of the version measured are filled by the provider at each measurement.
 */

/** Global: use with `replace` or `matchAll`, which never depend on its lastIndex. `{{args.x}}` is not one. */
export const VARIABLE_REF = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g

/** Filled when the spec is normalised. */
export const SPEC_VARIABLES = ['namespace', 'target', 'service', 'ingress', 'interval'] as const
/** Filled by the provider for the version measured: the canary, or each side of a traffic metric. */
export const MEASURE_VARIABLES = ['revision', 'role'] as const
/** Filled in a traffic metric's queries with the version's label matchers. */
export const SELECTOR_VARIABLE = 'selector'

export type SpecVariables = Record<(typeof SPEC_VARIABLES)[number], string>

/** `text` with each variable that `values` has replaced; the others are left as written. */
export function fillVariables(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(VARIABLE_REF, (whole, name: string) =>
    Object.hasOwn(values, name) ? (values[name] as string) : whole,
  )
}

/** The names of the variables `text` uses, in order. */
export function variableNames(text: string): string[] {
  return [...text.matchAll(VARIABLE_REF)].map((m) => m[1] ?? '')
}

/** A duration in seconds as PromQL writes it: `30s`, `1500ms`. */
export function promDuration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.round(seconds * 1000)}ms`
}
