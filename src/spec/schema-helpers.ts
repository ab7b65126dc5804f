/**
 * TypeBox helpers that keep every schema structural (valid as a Kubernetes CRD openAPIV3Schema):
 * enums as typed strings, maps as additionalProperties, int-or-string for durations and percentages.
 */
import Type, { type TSchema, type TUnsafe } from 'typebox'

/** A string limited to `values` — `{type: string, enum}` rather than a union of literals. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

/** A map from string keys to `value` — additionalProperties, never patternProperties. */
export function StringMap(
  value: TSchema,
  options: Record<string, unknown> = {},
): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    additionalProperties: value,
    ...options,
  })
}

/** An integer or a string (`30`, `"30s"`, `"25%"`), as Kubernetes' x-kubernetes-int-or-string. */
export function IntOrString(options: Record<string, unknown> = {}): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    ...options,
  })
}

/**
 * A schema option naming fields an object refuses, each with why and what to write instead: they
 * are not in the schema, and lint says this rather than "unknown field".
 */
export const REFUSED_FIELDS = 'x-kanari-refused-fields'
