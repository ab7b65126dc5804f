/** The CRDs are structural, carry what kubectl needs, and the copies in deploy/ are the generated ones. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { kanariCrds, ROLLOUT_CONDITIONS } from './definitions.js'
import { structuralProblems, toOpenApiV3 } from './structural.js'
import { crdsYaml } from './yaml.js'

const root = join(import.meta.dirname, '..', '..', '..')

describe('kanari.dev CRDs', () => {
  const crds = kanariCrds() as {
    metadata: { name: string }
    spec: { versions: { schema: { openAPIV3Schema: unknown }; subresources: unknown }[] }
  }[]

  it('are the four kinds, each with the status subresource', () => {
    expect(crds.map((c) => c.metadata.name)).toEqual([
      'rollouts.kanari.dev',
      'analysistemplates.kanari.dev',
      'clusteranalysistemplates.kanari.dev',
      'analysisruns.kanari.dev',
    ])
    for (const c of crds) expect(c.spec.versions[0]?.subresources).toEqual({ status: {} })
  })

  it('have structural schemas (no patternProperties, const, $ref, untyped nodes)', () => {
    for (const c of crds)
      expect(
        structuralProblems(c.spec.versions[0]?.schema.openAPIV3Schema, c.metadata.name),
      ).toEqual([])
  })

  it('translate numeric exclusive bounds to OpenAPI v3.0', () => {
    expect(toOpenApiV3({ type: 'number', exclusiveMinimum: 0, maximum: 0.5 })).toEqual({
      type: 'number',
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 0.5,
    })
    expect(structuralProblems({ type: 'number', exclusiveMinimum: 0 })).toEqual([
      'schema: numeric exclusive bound',
    ])
  })

  it('name the conditions kubectl wait can wait for', () => {
    expect(ROLLOUT_CONDITIONS).toContain('Promoted')
    expect(ROLLOUT_CONDITIONS).toContain('RolledBack')
  })

  it('are what deploy/ and the Helm chart ship', () => {
    const generated = crdsYaml()
    expect(readFileSync(join(root, 'deploy/crds/kanari.dev.yaml'), 'utf8')).toBe(generated)
    expect(readFileSync(join(root, 'deploy/helm/kanari/crds/kanari.dev.yaml'), 'utf8')).toBe(
      generated,
    )
  })
})
