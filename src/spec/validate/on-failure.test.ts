/** `onFailure` and `spec.onAnalysisFailure`: the two policies pass, anything else is named with its line. */
import { describe, expect, it } from 'vitest'
import { checkRolloutSet } from '../../manifests/rollout-set.js'
import { formatProblem } from '../problems.js'

const problemsOf = (text: string): string[] =>
  checkRolloutSet([{ name: 'rollout.yaml', text }]).problems.map(formatProblem)

const rollout = (strategy: string, extra = '') => `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  workload:
    process:
      command: [node, server.js]
  service:
    port: 8080
  strategy:
${strategy}
  analysis:
    metrics:
      - name: error-rate
        thresholdRange: { max: 1 }
${extra}`

const canary = (onFailure: string) => `    canary:
      steps:
        - setWeight: 5
        - analysis: { onFailure: ${onFailure} }`

describe('the failure policy', () => {
  it('accepts rollback and freeze, per analysis and per rollout', () => {
    expect(problemsOf(rollout(canary('freeze'), '  onAnalysisFailure: rollback\n'))).toEqual([])
    expect(problemsOf(rollout(canary('rollback'), '  onAnalysisFailure: freeze\n'))).toEqual([])
  })

  it('refuses any other word, naming the field, its line and the choices', () => {
    expect(problemsOf(rollout(canary('hold'), '  onAnalysisFailure: Freeze\n'))).toEqual([
      'rollout.yaml:15 spec.strategy.canary.steps[1].analysis.onFailure: must be one of rollback, freeze (got "hold")',
      'rollout.yaml:20 spec.onAnalysisFailure: must be one of rollback, freeze (got "Freeze")',
    ])
  })

  it('refuses freeze for a post-promotion analysis: traffic has already switched', () => {
    const blueGreen = `    blueGreen:
      postPromotionAnalysis: { onFailure: freeze }`
    expect(problemsOf(rollout(blueGreen))).toEqual([
      expect.stringMatching(
        /^rollout\.yaml:\d+ spec\.strategy\.blueGreen\.postPromotionAnalysis\.onFailure: cannot be freeze: /,
      ),
    ])
  })
})
