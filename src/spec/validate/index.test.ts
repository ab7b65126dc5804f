/** Validation of manifests end to end: every problem at once with file:line, and the examples lint clean. */
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { checkRolloutSet, parseRolloutSet, planFor } from '../../manifests/rollout-set.js'
import { formatProblem } from '../problems.js'

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
      'rollout.yaml:2 kind: unknown kind "Canary"; Kanari reads Rollout and AnalysisTemplate (Argo Rollouts or Flagger manifests: convert them with `kanari import -f FILE`)',
    ])
    // names every object has are not kinds either
    for (const kind of ['toString', 'constructor', '__proto__'])
      expect(
        problemsOf(`apiVersion: kanari.dev/v1alpha1\nkind: ${kind}\nmetadata: { name: x }\n`),
      ).toEqual([expect.stringContaining(`unknown kind "${kind}"`)])
  })

  it('refuses an interval of 0: a step analysed for 30s would take forever to count its measurements', () => {
    const text = base
      .replace('  analysis:\n    metrics', '  analysis:\n    interval: 0\n    metrics')
      .replace('thresholdRange: { max: 1 }', 'thresholdRange: { max: 1 }\n        interval: 0ms')
    expect(problemsOf(text).filter((p) => p.includes('interval'))).toEqual([
      'rollout.yaml:19 spec.analysis.interval: must be more than 0 seconds (the time between measurements)',
      'rollout.yaml:23 spec.analysis.metrics[0].interval: must be more than 0 seconds (the time between measurements)',
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
