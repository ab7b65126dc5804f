/** `errorGracePeriod` of a metric: what lint refuses, and what the plan gets (60 s by default). */
import { describe, expect, it } from 'vitest'
import { checkRolloutSet, parseRolloutSet, planFor } from '../../manifests/rollout-set.js'
import { formatProblem } from '../problems.js'

function rollout(grace: string): string {
  return `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: checkout }
spec:
  workload: { process: { command: [node, app.js] } }
  service: { port: 8080 }
  strategy: { canary: { steps: [{ setWeight: 10 }] } }
  analysis:
    metrics:
      - name: error-rate
        thresholdRange: { max: 1 }
${grace === '' ? '' : `        errorGracePeriod: ${grace}\n`}`
}

const problemsOf = (grace: string): string[] =>
  checkRolloutSet([{ name: 'r.yaml', text: rollout(grace) }]).problems.map(formatProblem)

function graceSeconds(grace: string): number | undefined {
  const doc = parseRolloutSet([{ name: 'r.yaml', text: rollout(grace) }]).rollouts[0]?.doc
  if (doc === undefined) throw new Error('no rollout')
  return planFor(doc, [], 1).analysis?.metrics[0]?.errorGraceSeconds
}

describe('errorGracePeriod', () => {
  it('is a duration: a malformed or negative one is refused where it is written', () => {
    expect(problemsOf('soon')).toEqual([
      'r.yaml:12 spec.analysis.metrics[0].errorGracePeriod: must be a duration like "30s", "5m", "1h" or a number of seconds (got "soon")',
    ])
    expect(problemsOf('-5')).toHaveLength(1)
    expect(problemsOf('-5')[0]).toMatch(
      /^r\.yaml:12 spec\.analysis\.metrics\[0\]\.errorGracePeriod: /,
    )
  })

  it('outlasts a monitoring restart by default (60 s); 0 is Argo (errors counted only)', () => {
    expect(problemsOf('')).toEqual([])
    expect(graceSeconds('')).toBe(60)
    expect(graceSeconds('2m')).toBe(120)
    expect(graceSeconds('0')).toBe(0)
  })
})
