/**
 * The parts of a document that pass their own schema: mappings field by field, lists item by item.
 * The rules beyond the schema read only these; a part the schema refused has had its problems
 * reported, and is never walked as if it had its type, while the parts beside it are still checked.
 */
import { Ajv, type ValidateFunction } from 'ajv'
import type { Static, TObject, TProperties, TSchema } from 'typebox'

// No optimising pass over the generated code: it took about half of each compile, and the parts
// of a Rollout are compiled one by one, on the first document a process checks (schema-check.ts).
const ajv = new Ajv({ strict: false, validateFormats: false, code: { optimize: false } })
const compiled = new WeakMap<TSchema, ValidateFunction>()

/** Whether `value` passes `schema` (the same check as the schema problems, without the messages). */
export function passes<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  let validate = compiled.get(schema)
  if (validate === undefined) {
    validate = ajv.compile(schema)
    compiled.set(schema, validate)
  }
  return validate(value)
}

export interface Sections<T> {
  /** The fields the schema knows that are set, sound or not (unknown ones are problems of their own). */
  given: ReadonlySet<keyof T>
  /** The fields that are set and pass their schema. */
  sound: Partial<T>
  /** The fields that fail their schema, or are required and missing: reported by the schema. */
  broken: ReadonlySet<keyof T>
  /** A field as written, unchecked: to look into a broken one part by part. */
  part(key: keyof T & string): unknown
}

/** The fields of a mapping, each checked against its own schema; undefined if not a mapping. */
export function soundSections<S extends TObject>(
  schema: S,
  value: unknown,
): Sections<Static<S>> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  const part = (key: string): unknown =>
    Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined
  const sound: Record<string, unknown> = {}
  const broken = new Set<string>()
  // TypeBox leaves `required` out when no property is required, whatever its type says.
  const required: unknown = schema.required
  for (const [key, fieldSchema] of Object.entries(schema.properties)) {
    const v = part(key)
    if (v === undefined) {
      if (Array.isArray(required) && required.includes(key)) broken.add(key)
    } else if (passes(fieldSchema, v)) sound[key] = v
    else broken.add(key)
  }
  // Each key of `sound` passed its own schema: the one place the parts get their types.
  return {
    given: new Set(presentKeys(schema, value)),
    sound: sound as Partial<Static<S>>,
    broken,
    part,
  }
}

/**
 * The items of a list, each checked against `schema` (undefined where one fails), indexes kept;
 * an empty list when the list is not given, undefined when it is not a list.
 */
export function soundItems<T extends TSchema>(
  schema: T,
  value: unknown,
): (Static<T> | undefined)[] | undefined {
  if (value === undefined) return []
  if (!Array.isArray(value)) return undefined
  return value.map((item: unknown) => (passes(schema, item) ? item : undefined))
}

/** The keys `schema` knows that are set in `value` (an unknown key is a problem of its own). */
export function presentKeys(schema: { properties: TProperties }, value: object): string[] {
  return Object.keys(schema.properties).filter(
    (k) => Object.hasOwn(value, k) && (value as Record<string, unknown>)[k] !== undefined,
  )
}
