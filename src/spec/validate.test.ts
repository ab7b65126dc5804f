import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { checkRolloutSet, parseRolloutSet, planFor } from '../manifests/rollout-set.js'
import { formatProblem } from './problems.js'
import { AnalysisTemplateSchema, RolloutSchema } from './schema.js'

const problemsOf = (text: string, name = 'rollout.yaml'): string[] =>
  checkRolloutSet([{ name, text }]).problems.map(formatProblem)

const base = `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  replicas: 3
  workload:
    process:
      command: [node, server.js]
  service:
    port: 8080
  strategy:
    canary:
      steps:
        - setWeight: 5
        - analysis: {}
        - setWeight: 150
  analysis:
    metrics:
      - name: error-rate
        thresholdRange: { max: 1 }
`

describe('validation', () => {
  it('reports every problem at once with file:line and path', () => {
    const text = base
      .replace('replicas: 3', 'replicas: 3\n  replicaz: 2')
      .replace('  analysis:\n    metrics', '  analysis:\n    interval: -5s\n    metrics')
    const problems = problemsOf(text)
    expect(problems).toContain(
      'rollout.yaml:18 spec.strategy.canary.steps[2].setWeight: must be <= 100',
    )
    expect(
      problems.some((p) =>
        p.startsWith(
          'rollout.yaml:7 spec.replicaz: unknown field "replicaz" (did you mean "replicas"?)',
        ),
      ),
    ).toBe(true)
    expect(problems).toContain(
      'rollout.yaml:20 spec.analysis.interval: must not be negative (got "-5s")',
    )
    expect(problems).toHaveLength(3)
  })

  it('rejects contradictions instead of ignoring them', () => {
    const both = base.replace('    canary:\n', '    blueGreen: {}\n    canary:\n')
    expect(problemsOf(both).join('\n')).toMatch(
      /spec.strategy: give one strategy, not canary and blueGreen|spec.strategy: give one strategy/,
    )
    const smiHeader = base
      .replace(
        '        - setWeight: 150',
        '        - setHeaderRoute: { name: beta, match: [{ headerName: x-beta, headerValue: { exact: "1" } }] }',
      )
      .replace(
        '  workload:\n    process:\n      command: [node, server.js]',
        '  workload:\n    targetRef: { kind: Deployment, name: checkout }',
      )
      .replace('  service:', '  trafficRouting:\n    smi: {}\n  service:')
    expect(problemsOf(smiHeader).join('\n')).toMatch(
      /steps\[2\]\.setHeaderRoute: the smi router cannot route by header/,
    )
    const unknownProvider = base.replace(
      '      - name: error-rate',
      '      - name: orders\n        provider: { datadog: { query: x } }',
    )
    const out = problemsOf(unknownProvider).join('\n')
    expect(out).toMatch(/provider.datadog: unknown field "datadog"/)
    expect(out).toMatch(/"orders" is not a builtin metric/)
    const badRegex = base.replace(
      '        - setWeight: 150',
      '        - setHeaderRoute: { name: b, match: [{ headerName: x, headerValue: { regex: "(" } }] }',
    )
    expect(problemsOf(badRegex).join('\n')).toMatch(
      /headerValue.regex: is not a valid regular expression/,
    )
    const badCondition = base.replace(
      'thresholdRange: { max: 1 }',
      'successCondition: "result >= "',
    )
    expect(problemsOf(badCondition).join('\n')).toMatch(
      /successCondition: condition "result >= ": unexpected end/,
    )
    const twoKeys = base.replace(
      '        - setWeight: 5',
      '        - setWeight: 5\n          pause: {}',
    )
    expect(problemsOf(twoKeys).join('\n')).toMatch(
      /steps\[0\]: give one action per step, not setWeight and pause/,
    )
  })

  it('names a missing template and unresolved args', () => {
    const text = base.replace(
      '        - analysis: {}',
      '        - analysis: { templates: [{ templateName: nope }] }',
    )
    expect(problemsOf(text).join('\n')).toMatch(
      /templates\[0\]\.templateName: no AnalysisTemplate named "nope"/,
    )
  })

  it('reports YAML syntax errors with their line, and unknown kinds', () => {
    expect(problemsOf('a: [1, 2\nb: 3\n').join('\n')).toMatch(/^rollout.yaml:\d+ YAML syntax/)
    expect(
      problemsOf('apiVersion: argoproj.io/v1alpha1\nkind: Canary\nmetadata: { name: x }\n'),
    ).toEqual([
      'rollout.yaml:2 kind: unknown kind "Canary"; Kanari reads Rollout and AnalysisTemplate (Argo or Flagger manifests: convert them first)',
    ])
  })

  it('throws one ValidationError listing everything', () => {
    expect(() => parseRolloutSet([{ name: 'r.yaml', text: base }])).toThrow(
      /1 problem in r.yaml:\n {2}r.yaml:17 spec.strategy.canary.steps\[2\].setWeight: must be <= 100/,
    )
  })
})

describe('examples', () => {
  for (const file of readdirSync('examples').filter((f) => f.endsWith('.yaml'))) {
    it(`${file} lints clean and normalises`, () => {
      const set = parseRolloutSet([{ name: file, text: readFileSync(`examples/${file}`, 'utf8') }])
      expect(set.rollouts.length).toBeGreaterThan(0)
      for (const r of set.rollouts)
        expect(planFor(r.doc, set.templates, 1).name).toBe(r.doc.metadata.name)
    })
  }
})

function firstRollout(
  set: ReturnType<typeof parseRolloutSet>,
): ReturnType<typeof parseRolloutSet>['rollouts'][number]['doc'] {
  const first = set.rollouts[0]
  if (first === undefined) throw new Error('no rollout in the set')
  return first.doc
}

describe('normalisation', () => {
  it('expands the Flagger shorthand into weighted steps with analysis', () => {
    const set = parseRolloutSet([
      { name: 'f.yaml', text: readFileSync('examples/flagger-shorthand.yaml', 'utf8') },
    ])
    const plan = planFor(firstRollout(set), [], 1)
    if (plan.strategy.kind !== 'canary') throw new Error('expected canary')
    expect(plan.strategy.steps.flatMap((s) => (s.kind === 'setWeight' ? [s.weight] : []))).toEqual([
      10, 20, 30, 40, 50,
    ])
    const analysis = plan.strategy.steps[1]
    expect(analysis).toMatchObject({
      kind: 'analysis',
      analysis: {
        judge: 'threshold',
        threshold: 5,
        metrics: [{ name: 'success-rate', intervalSeconds: 60, count: 1 }, { name: 'latency-p99' }],
      },
    })
    expect(plan.analysis).toBeUndefined()
  })

  it('resolves templates with args and shares alpha among runs', () => {
    const set = parseRolloutSet([
      { name: 'a.yaml', text: readFileSync('examples/analysis-template.yaml', 'utf8') },
    ])
    const plan = planFor(firstRollout(set), set.templates, 1)
    if (plan.strategy.kind !== 'canary') throw new Error('expected canary')
    const step = plan.strategy.steps[1]
    if (step?.kind !== 'analysis') throw new Error('expected analysis')
    expect(step.analysis.metrics[0]?.successCondition).toBe('result >= 98.5')
    const canary = parseRolloutSet([
      { name: 'c.yaml', text: readFileSync('examples/canary.yaml', 'utf8') },
    ])
    const p = planFor(firstRollout(canary), [], 1)
    if (p.strategy.kind !== 'canary') throw new Error('expected canary')
    const runs = p.strategy.steps.flatMap((s) => (s.kind === 'analysis' ? [s.analysis] : []))
    expect(runs).toHaveLength(3)
    expect(
      runs.every((r) => Math.abs(r.alpha - 0.05 / 3) < 1e-12 && r.metrics[0]?.count === 3),
    ).toBe(true)
  })
})

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
