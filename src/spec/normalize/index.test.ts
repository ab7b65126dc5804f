/** Normalisation to the engine's plan: the Flagger shorthand expanded, templates resolved, alpha shared. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseRolloutSet, planFor } from '../../manifests/rollout-set.js'

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

  it('gives each analysis its failure policy: its own, else the rollout metrics', () => {
    const rollout = (extra: string) => `
apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: web }
spec:
  workload: { process: { command: [node, s.js] } }
  service: { port: 8080 }
  strategy:
    canary:
      steps:
        - setWeight: 10
        - analysis: { duration: 30s }
        - analysis: { duration: 30s, onFailure: rollback }
        - analysis: { metrics: [{ name: error-rate, thresholdRange: { max: 2 } }] }
  analysis:
    metrics: [{ name: error-rate, thresholdRange: { max: 1 } }]
${extra}`
    const policies = (extra: string) => {
      const set = parseRolloutSet([{ name: 'r.yaml', text: rollout(extra) }])
      const plan = planFor(firstRollout(set), [], 1)
      if (plan.strategy.kind !== 'canary') throw new Error('expected canary')
      return {
        steps: plan.strategy.steps.flatMap((s) =>
          s.kind === 'analysis' ? [s.analysis.onFailure] : [],
        ),
        frozenDeadline: plan.frozenDeadlineSeconds,
      }
    }
    expect(policies('')).toEqual({
      steps: ['rollback', 'rollback', 'rollback'],
      frozenDeadline: undefined,
    })
    // The rollout's choice reaches every analysis that does not make its own.
    expect(policies('  onAnalysisFailure: freeze\n').steps).toEqual([
      'freeze',
      'rollback',
      'freeze',
    ])
    // spec.analysis.onFailure: the analyses of the rollout's metrics, over spec.onAnalysisFailure.
    expect(
      policies('  onAnalysisFailure: freeze\n  progressDeadlineSeconds: 900\n').frozenDeadline,
    ).toBe(900)
    const text = rollout('  onAnalysisFailure: rollback\n').replace(
      'analysis:\n    metrics',
      'analysis:\n    onFailure: freeze\n    metrics',
    )
    const plan = planFor(firstRollout(parseRolloutSet([{ name: 'r.yaml', text }])), [], 1)
    if (plan.strategy.kind !== 'canary') throw new Error('expected canary')
    expect(
      plan.strategy.steps.flatMap((s) => (s.kind === 'analysis' ? [s.analysis.onFailure] : [])),
    ).toEqual(['freeze', 'rollback', 'rollback'])
    expect(
      policies('  progressDeadlineSeconds: 900\n  progressDeadlineAbort: false\n').frozenDeadline,
    ).toBeUndefined()
  })
})
