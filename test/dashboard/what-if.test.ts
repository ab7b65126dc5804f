/** The what-if page's inputs: the CLI's flags and options, and a plan judged by another judge. */
import { describe, expect, it } from 'vitest'
import { analysisPlan, blueGreenPlan, canaryPlan } from '../../src/engine/test-utils/plans.js'
import {
  judgesOf,
  simulateFlags,
  simulationOptions,
  withJudge,
} from '../../dashboard/src/what-if.js'

describe('what-if inputs', () => {
  it('become the flags and options of `kanari simulate`', () => {
    const inputs = { rps: 150, canaryErrorRate: 6, addedLatencyMs: 30, failAtWeight: 40 }
    expect(simulateFlags(inputs)).toEqual([
      '--rps',
      '150',
      '--canary-error-rate',
      '6',
      '--canary-latency-ms',
      '80',
      '--fail-at-weight',
      '40',
    ])
    expect(simulationOptions(inputs)).toMatchObject({
      rps: 150,
      stable: { errorRatePercent: 0.5, latencyMs: 50 },
      canary: { errorRatePercent: 6, latencyMs: 80 },
      failAtWeight: 40,
      seed: 1,
    })
    expect(simulationOptions({ ...inputs, failAtWeight: null })).not.toHaveProperty('failAtWeight')
  })
})

describe('judges side by side', () => {
  it('puts the judge in every analysis of the plan, and nothing else changes', () => {
    const plan = canaryPlan(
      [
        { kind: 'setWeight', weight: 10 },
        { kind: 'analysis', analysis: analysisPlan({ judge: 'sequential' }) },
        { kind: 'setWeight', weight: 50 },
      ],
      { analysis: analysisPlan({ kind: 'background', judge: 'sequential' }) },
    )
    expect(judgesOf(plan)).toEqual(['sequential'])
    const limit = withJudge(plan, 'limit')
    expect(judgesOf(limit)).toEqual(['limit'])
    expect(judgesOf(plan)).toEqual(['sequential'])
    const strip = (p: typeof plan) => JSON.stringify(p).replaceAll(/"judge":"\w+"/g, '')
    expect(strip(limit)).toBe(strip(plan))
    const bg = withJudge(
      blueGreenPlan({ prePromotionAnalysis: analysisPlan({ kind: 'prePromotion' }) }),
      'threshold',
    )
    expect(judgesOf(bg)).toEqual(['threshold'])
  })
})
