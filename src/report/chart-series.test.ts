/** The dashboard's chart lines from live samples spanning several releases, each with its revision. */
import { describe, expect, it } from 'vitest'
import { evidenceSeries, releaseBoundaries, sideSeries, weightSeries } from './chart-series.js'
import type { RolloutSample, SideSample } from '../local/daemon/dashboard/wire.js'

const side = (revision: number, errorRatePercent: number): SideSample => ({
  revision,
  requests: 100,
  errors: errorRatePercent,
  errorRatePercent,
  latencyP99Ms: 10 * revision,
})

/** A sample at second `t` with `stable` and `canary` as [revision, error %], and the canary's weight. */
function sample(
  t: number,
  stable: [number, number] | null,
  canary: [number, number, weight: number] | null,
): RolloutSample {
  return {
    rollout: 'shop',
    at: t * 1000,
    summary: {
      name: 'shop',
      phase: canary === null ? 'Healthy' : 'Progressing',
      message: '',
      stableRevision: stable?.[0] ?? null,
      canaryRevision: canary?.[0] ?? null,
      canaryWeight: canary?.[2] ?? 0,
      stepIndex: 0,
      stepCount: 3,
      strategy: 'canary',
      createdAt: 0,
      lastVerdict: null,
      attention: 2,
      attentionLabel: 'progressing',
    },
    windowSeconds: 5,
    stable: stable === null ? null : side(stable[0], stable[1]),
    canary: canary === null ? null : side(canary[0], canary[1]),
    evidence:
      canary === null
        ? []
        : [
            {
              runId: `run-${canary[0]}`,
              runKind: 'background',
              metric: 'errors',
              logLikelihoodRatio: canary[1],
              logBound: 4,
            },
          ],
    replicas: [],
  }
}

// r3 is released against stable r2 and rolled back; then r4 is released and promoted.
const samples = [
  sample(1, [2, 0], null),
  sample(2, [2, 0], [3, 15, 10]),
  sample(3, [2, 1], [3, 20, 10]),
  sample(4, [2, 0], null),
  sample(5, [2, 0], [4, 1, 20]),
  sample(6, [4, 0], null),
]

describe('chart series', () => {
  it('gives each revision in each role a line of its own, labelled with its revision', () => {
    const errors = sideSeries(samples, (s) => s.errorRatePercent)
    expect(errors.map((s) => [s.label, s.current, s.values])).toEqual([
      ['r2 stable', false, [0, 0, 1, 0, 0, null]],
      ['r3 canary', false, [null, 15, 20, null, null, null]],
      ['r4 stable', true, [null, null, null, null, null, 0]],
      ['r4 canary', false, [null, null, null, null, 1, null]],
    ])
    expect(sideSeries(samples, (s) => s.latencyP99Ms, 'p99').map((s) => s.label)).toEqual([
      'r2 stable p99',
      'r3 canary p99',
      'r4 stable p99',
      'r4 canary p99',
    ])
  })

  it("labels the canary's weight and the judge's evidence with the revision they belong to", () => {
    expect(weightSeries(samples).map((s) => [s.label, s.values])).toEqual([
      ['r3 canary weight', [null, 10, 10, null, null, null]],
      ['r4 canary weight', [null, null, null, null, 20, null]],
    ])
    expect(evidenceSeries(samples).map((s) => [s.label, s.metric, s.values])).toEqual([
      ['r3 errors log LR', 'errors', [null, 15, 20, null, null, null]],
      ['r4 errors log LR', 'errors', [null, null, null, null, 1, null]],
    ])
  })

  it('marks where each release began; a rollback and a promotion begin none', () => {
    expect(releaseBoundaries(samples)).toEqual([
      { at: 2000, revision: 3, label: 'r3 released' },
      { at: 5000, revision: 4, label: 'r4 released' },
    ])
    // A stable replaced with no canary (an undo to r2 straight away) begins a release too.
    expect(releaseBoundaries([sample(1, [4, 0], null), sample(2, [2, 0], null)])).toEqual([
      { at: 2000, revision: 2, label: 'r2 released' },
    ])
    // The chart's first sample begins none: the release may have begun before it.
    expect(releaseBoundaries([sample(1, [2, 0], [3, 0, 10])])).toEqual([])
  })
})
