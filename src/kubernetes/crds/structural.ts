/**
 * From the spec's TypeBox schemas (JSON Schema) to a CRD's openAPIV3Schema: the few translations
 * OpenAPI v3.0 needs (a numeric `exclusiveMinimum` becomes `minimum` + `exclusiveMinimum: true`),
 * and the structural lint every generated schema must pass.
 */

export type JsonSchema = Record<string, unknown>

/** A deep copy of `schema` in the OpenAPI v3.0 dialect the API server reads. */
export function toOpenApiV3(schema: unknown): JsonSchema {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk)
    if (node === null || typeof node !== 'object') return node
    const out: JsonSchema = {}
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value === 'number') {
        out[key === 'exclusiveMinimum' ? 'minimum' : 'maximum'] = value
        out[key] = true
      } else if (key === 'properties' && value !== null && typeof value === 'object') {
        out[key] = Object.fromEntries(
          Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v)]),
        )
      } else {
        out[key] = walk(value)
      }
    }
    return out
  }
  return walk(schema) as JsonSchema
}

/** The places where `schema` is not structural, as `path: problem` lines (none = usable). */
export function structuralProblems(schema: unknown, root = 'schema'): string[] {
  const problems: string[] = []
  const walk = (node: unknown, path: string): void => {
    if (node === null || typeof node !== 'object') return
    const n = node as JsonSchema
    if ('patternProperties' in n) problems.push(`${path}: patternProperties`)
    if ('const' in n) problems.push(`${path}: const`)
    if ('$ref' in n) problems.push(`${path}: $ref`)
    if (n.additionalProperties === false) problems.push(`${path}: additionalProperties false`)
    if (typeof n.exclusiveMinimum === 'number' || typeof n.exclusiveMaximum === 'number')
      problems.push(`${path}: numeric exclusive bound`)
    const intOrString = n['x-kubernetes-int-or-string'] === true
    const preserve = n['x-kubernetes-preserve-unknown-fields'] === true
    if ('anyOf' in n && !intOrString && n.type === undefined)
      problems.push(`${path}: anyOf without type`)
    if (n.type === undefined && !intOrString && !preserve) problems.push(`${path}: no type`)
    const props = n.properties
    if (props !== null && typeof props === 'object')
      for (const [k, v] of Object.entries(props)) walk(v, `${path}.${k}`)
    if (typeof n.items === 'object') walk(n.items, `${path}[]`)
    if (typeof n.additionalProperties === 'object') walk(n.additionalProperties, `${path}{}`)
  }
  walk(schema, root)
  return problems
}
