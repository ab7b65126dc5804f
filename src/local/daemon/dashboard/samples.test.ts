import { describe, expect, it } from 'vitest'
import {
  emptyVersionTraffic,
  recordRequest,
  type VersionTraffic,
} from '../../../analysis/traffic.js'
import type { AnalysisRunStatus } from '../../../analysis/types.js'
import { initialStatus, type RolloutStatus } from '../../../engine/status.js'
import { SlidingTraffic, attentionOf, evidenceOf, sideSample, trafficSince } from './samples.js'

function traffic(ok: number, failed: number, latencyMs = 20): VersionTraffic {
  const t = emptyVersionTraffic()
  for (let i = 0; i < ok; i++) recordRequest(t, 200, latencyMs)
  for (let i = 0; i < failed; i++) recordRequest(t, 500, latencyMs)
  return t
}

describe('dashboard samples', () => {
  it('turns lifetime counters into the traffic of the last seconds', () => {
    const w = new SlidingTraffic(2)
    w.add(new Map([['rev-1', traffic(10, 0)]]))
    w.add(new Map([['rev-1', traffic(30, 5)]]))
    expect(w.window('rev-1').requests).toBe(35)
    w.add(new Map([['rev-1', traffic(40, 5)]]))
    // The first reading left the two-second window: 25 + 10 requests, 5 errors.
    expect(w.window('rev-1')).toMatchObject({ requests: 35, errors: 5 })
    w.add(new Map([['rev-1', traffic(40, 5)]]))
    expect(w.window('rev-1')).toMatchObject({ requests: 10, errors: 0 })
    expect(w.window('rev-9').requests).toBe(0)
  })

  it('counts a restarted proxy (counters going down) from zero', () => {
    expect(trafficSince(traffic(3, 1), traffic(50, 2))).toMatchObject({ requests: 4, errors: 1 })
    expect(trafficSince(traffic(60, 4), traffic(50, 2))).toMatchObject({ requests: 12, errors: 2 })
  })

  it('has no error rate or latency without requests, never a zero', () => {
    expect(sideSample(1, emptyVersionTraffic())).toEqual({
      revision: 1,
      requests: 0,
      errors: 0,
      errorRatePercent: null,
      latencyP99Ms: null,
    })
    const s = sideSample(2, traffic(90, 10, 40))
    expect(s.errorRatePercent).toBe(10)
    expect(s.latencyP99Ms).toBeGreaterThan(25)
    expect(s.latencyP99Ms).toBeLessThanOrEqual(50)
  })

  it('shows the sequential evidence against its bound, and only the sequential judge’s', () => {
    const run = (judge: AnalysisRunStatus['judge'], logBound?: number): AnalysisRunStatus => ({
      id: `${judge}-run`,
      kind: 'step',
      revision: 2,
      stepIndex: 1,
      judge,
      phase: 'Running',
      startedAt: 0,
      message: '',
      failedChecks: 0,
      passing: false,
      segmentStartedAt: 0,
      segments: 1,
      canaryRequests: 0,
      canaryErrors: 0,
      stableRequests: 0,
      stableErrors: 0,
      metrics: [
        {
          name: 'error-rate',
          measurements: 3,
          successful: 3,
          failed: 0,
          inconclusive: 0,
          errors: 0,
          consecutiveErrors: 0,
          nextMeasureAt: 0,
          lastMeasuredAt: null,
          sequential: {
            canary: { requests: 10, errors: 3, latencyBuckets: [] },
            stable: { requests: 100, errors: 1, latencyBuckets: [] },
            logBayesFactor: 2.5,
            logBayesFactorAbsolute: 3.1,
            ...(logBound === undefined ? {} : { logBound }),
          },
        },
      ],
    })
    const status: RolloutStatus = {
      ...initialStatus(),
      analyses: { background: run('limit', 4), step: run('sequential', 4.6) },
    }
    expect(evidenceOf(status)).toEqual([
      {
        runId: 'sequential-run',
        runKind: 'step',
        metric: 'error-rate',
        logLikelihoodRatio: 3.1,
        logBound: 4.6,
      },
    ])
    // A status stored before the bound was kept shows no evidence rather than a made-up bound.
    expect(
      evidenceOf({ ...status, analyses: { background: null, step: run('sequential') } }),
    ).toEqual([])
  })

  it('puts failing before paused before progressing before healthy', () => {
    const base = initialStatus()
    const replicas = [{ revision: 1, role: 'stable' as const, desired: 2, ready: 2 }]
    expect(attentionOf({ ...base, phase: 'RolledBack' }, replicas, false).attentionLabel).toBe(
      'failing',
    )
    expect(attentionOf({ ...base, phase: 'Healthy' }, replicas, true).attentionLabel).toBe(
      'failing',
    )
    expect(attentionOf({ ...base, phase: 'Paused' }, replicas, false).attentionLabel).toBe('paused')
    expect(attentionOf({ ...base, phase: 'Progressing' }, replicas, false).attentionLabel).toBe(
      'progressing',
    )
    expect(attentionOf({ ...base, phase: 'Healthy' }, replicas, false).attentionLabel).toBe(
      'healthy',
    )
    const short = [{ revision: 1, role: 'stable' as const, desired: 2, ready: 1 }]
    expect(attentionOf({ ...base, phase: 'Healthy' }, short, false).attentionLabel).toBe(
      'progressing',
    )
  })
})
