/** The schemas stay structural, so they can serve as the CRDs' openAPIV3Schema unchanged. */
import { describe, expect, it } from 'vitest'
import { AnalysisTemplateSchema, RolloutSchema } from './schema.js'

describe('schemas are structural (usable as CRD openAPIV3Schema)', () => {
  const problems: string[] = []
  const walk = (node: unknown, path: string): void => {
    if (node === null || typeof node !== 'object') return
    const n = node as Record<string, unknown>
    if ('patternProperties' in n) problems.push(`${path}: patternProperties`)
    if ('const' in n) problems.push(`${path}: const`)
    if ('$ref' in n) problems.push(`${path}: $ref`)
    if (n.additionalProperties === false) problems.push(`${path}: additionalProperties false`)
    const intOrString = n['x-kubernetes-int-or-string'] === true
    if ('anyOf' in n && !intOrString && n.type === undefined)
      problems.push(`${path}: anyOf without type`)
    if (n.type === undefined && !intOrString) problems.push(`${path}: no type`)
    for (const [k, v] of Object.entries(n.properties ?? {})) walk(v, `${path}.${k}`)
    if (typeof n.items === 'object') walk(n.items, `${path}[]`)
    if (typeof n.additionalProperties === 'object') walk(n.additionalProperties, `${path}{}`)
  }
  it('has no patternProperties, const, $ref, untyped anyOf or untyped nodes', () => {
    walk(RolloutSchema, 'Rollout')
    walk(AnalysisTemplateSchema, 'AnalysisTemplate')
    expect(problems).toEqual([])
  })
  it('the structural check catches what it should', () => {
    problems.length = 0
    walk(
      {
        type: 'object',
        properties: {
          a: { anyOf: [{ type: 'string' }, { const: 'x' }] },
          b: { patternProperties: {} },
        },
      },
      'X',
    )
    expect(problems).toEqual([
      'X.a: anyOf without type',
      'X.a: no type',
      'X.b: patternProperties',
      'X.b: no type',
    ])
    problems.length = 0
  })
})
