/** `{{args.name}}` references in a template's metrics: what validation checks and normalisation fills. */

/** Global: use with `replace` or `matchAll`, which never depend on its lastIndex. */
export const ARG_REF = /\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}/g

/** `text` with each `{{args.name}}` replaced by the arg's value, as normalisation fills it, or by `fallback`. */
export function fillArgs(
  text: string,
  values: ReadonlyMap<string, string | undefined>,
  fallback: string,
): string {
  return text.replace(ARG_REF, (_ref, name: string) => values.get(name) ?? fallback)
}

/** The names of the args `text` refers to, in order. */
export function argNames(text: string): string[] {
  return [...text.matchAll(ARG_REF)].map((m) => m[1] ?? '')
}
