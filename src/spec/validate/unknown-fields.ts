/**
 * Fields the schema does not know, with a did-you-mean: the CRD-compatible schema cannot forbid them
 * itself (no `additionalProperties: false` in a structural schema).
 */
import { REFUSED_FIELDS } from '../schema-helpers.js'
import { quote } from '../shown-value.js'
import { closest } from './did-you-mean.js'
import type { DocumentProblems, Path } from './document-problems.js'

export function checkUnknownFields(
  p: DocumentProblems,
  schema: unknown,
  value: unknown,
  path: Path,
): void {
  const s = schema as {
    type?: string
    properties?: Record<string, unknown>
    additionalProperties?: unknown
    items?: unknown
  }
  if (value === null || typeof value !== 'object') return
  if (Array.isArray(value)) {
    if (s.items !== undefined)
      value.forEach((v, i) => checkUnknownFields(p, s.items, v, [...path, i]))
    return
  }
  if (s.properties !== undefined) {
    const known = Object.keys(s.properties)
    const refused = (schema as Record<string, unknown>)[REFUSED_FIELDS] as
      Record<string, string> | undefined
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // hasOwn: `toString` or `__proto__` is as unknown as any other name.
      if (Object.hasOwn(s.properties, k)) checkUnknownFields(p, s.properties[k], v, [...path, k])
      else if (refused !== undefined && Object.hasOwn(refused, k))
        p.add([...path, k], refused[k] ?? '', true)
      else {
        const guess = closest(k, known)
        p.add(
          [...path, k],
          `unknown field ${quote(k)}${guess === undefined ? '' : ` (did you mean "${guess}"?)`}; known fields: ${known.join(', ')}`,
          true,
        )
      }
    }
  } else if (typeof s.additionalProperties === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      checkUnknownFields(p, s.additionalProperties, v, [...path, k])
  }
}
