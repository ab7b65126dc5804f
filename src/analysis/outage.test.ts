/**
 * Monitoring outages under every judge: errors shorter than errorGracePeriod hold the run (never a
 * pass, never a verdict), errors past both the grace and consecutiveErrorLimit end it in Error.
 */
import { describe, expect, it } from 'vitest'
import { errorRateMetric } from '../engine/test-utils/plans.js'
import {
  builtinMetricValue,
  recordMeasurements,
  requestMeasurements,
  startAnalysisRun,
} from './run.js'
import { emptyVersionTraffic, recordRequest, type TrafficSample } from './traffic.js'
import type { AnalysisPlan, AnalysisRunStatus, Measurement, MetricPlan } from './types.js'

const T0 = 1_700_000_000_000
const JUDGES = ['threshold', 'limit', 'sequential'] as const

function plan(judge: AnalysisPlan['judge'], metric: Partial<MetricPlan> = {}): AnalysisPlan {
  return {
    kind: 'step',
    judge,
    metrics: [errorRateMetric({ intervalSeconds: 1, count: 20, ...metric })],
    threshold: 2,
    alpha: 0.05,
    minCanaryRequests: 50,
  }
}

/** A healthy window: 20 canary and 80 stable requests a second, none failing. */
function healthy(from: number, to: number): Omit<Measurement, 'metric' | 'at'> {
  const seconds = Math.max(1, Math.round((to - from) / 1000))
  const canary = emptyVersionTraffic()
  const stable = emptyVersionTraffic()
  for (let i = 0; i < 20 * seconds; i++) recordRequest(canary, 200, 40)
  for (let i = 0; i < 80 * seconds; i++) recordRequest(stable, 200, 40)
  const sample: TrafficSample = { from, to, canary, stable }
  return { value: builtinMetricValue('error-rate', sample), traffic: sample }
}

/**
 * Drives a run second by second; the provider is down for the seconds `down(s)` says. Returns
 * the run after every second, so a test can look at each tick.
 */
function drive(p: AnalysisPlan, down: (second: number) => boolean, seconds: number) {
  let run = startAnalysisRun(p, 'r', T0)
  let pending: ReturnType<typeof requestMeasurements>['requests'] = []
  const ticks: { second: number; run: AnalysisRunStatus }[] = []
  for (let s = 1; s <= seconds; s++) {
    const now = T0 + s * 1000
    const answers = pending.map((r): Measurement => ({
      metric: r.metric,
      at: r.to,
      ...(down((r.to - T0) / 1000)
        ? { value: null, error: 'prometheus: connect ECONNREFUSED 127.0.0.1:9090' }
        : healthy(r.from, r.to)),
    }))
    run = recordMeasurements(p, run, answers, now)
    ticks.push({ second: s, run })
    if (run.phase !== 'Running') break
    const res = requestMeasurements(p, run, 'r', now)
    run = res.run
    pending = res.requests
  }
  return { run, ticks }
}

describe('monitoring outages', () => {
  for (const judge of JUDGES) {
    it(`${judge}: an outage shorter than the grace holds, then the run goes on and passes`, () => {
      // Prometheus down from second 5 to 35: 30 s, within the 60 s grace, 30 errors in a row.
      const { run, ticks } = drive(plan(judge), (s) => s >= 5 && s < 35, 200)
      expect(run.phase).toBe('Successful')
      const held = ticks.filter((t) => t.second > 6 && t.second <= 35)
      for (const t of held) {
        expect(t.run.phase).toBe('Running')
        expect(t.run.passing).toBe(false)
        expect(t.run.message).toMatch(/^monitoring unavailable for \d+ s of 60 s grace: holding/)
      }
      expect(held.find((t) => t.second === 17)?.run.message).toMatch(
        /^monitoring unavailable for 12 s of 60 s grace: holding; .*ECONNREFUSED/,
      )
      // Errors are no evidence: no failed check, no failed measurement, and all of them counted.
      expect(run.failedChecks).toBe(0)
      expect(run.metrics[0]).toMatchObject({ failed: 0, errors: 30 })
      expect(run.metrics[0]?.unavailable).toBeUndefined()
    })

    it(`${judge}: an outage longer than the grace ends the run in Error at the grace's end`, () => {
      const { run, ticks } = drive(plan(judge), (s) => s >= 5, 200)
      expect(run.phase).toBe('Error')
      // The first errored window ends at second 5; 60 s later the run errors, not before.
      expect(ticks.at(-1)?.second).toBe(65)
      expect(ticks.filter((t) => t.run.phase !== 'Running').map((t) => t.second)).toEqual([65])
      expect(run.message).toBe(
        'error-rate: prometheus: connect ECONNREFUSED 127.0.0.1:9090 (monitoring unavailable for 60 s, errorGracePeriod 60 s; 60 errors in a row, consecutiveErrorLimit 4)',
      )
    })
  }

  it('a slow metric keeps the count as well: past the grace it holds until the limit is passed', () => {
    // One measurement every 30 s, limit 4: the grace is over after 3 errors, the count after 5.
    const { run, ticks } = drive(plan('limit', { intervalSeconds: 30 }), (s) => s >= 30, 400)
    expect(run.phase).toBe('Error')
    expect(ticks.at(-1)?.second).toBe(151)
    expect(ticks.find((t) => t.second === 100)?.run.message).toMatch(
      /^monitoring unavailable for 70 s, past its 60 s grace \(3 of more than 4 errors in a row needed to fail\): holding/,
    )
  })

  it('errorGracePeriod 0 is Argo: more errors in a row than the limit end the run at once', () => {
    const { ticks } = drive(plan('limit', { errorGraceSeconds: 0 }), (s) => s >= 5, 200)
    expect(ticks.at(-1)?.run.phase).toBe('Error')
    expect(ticks.at(-1)?.second).toBe(10)
  })

  it('sequential: a window that ends during an outage does not pass until data returns', () => {
    // count 20 at 1 s: the window ends at 20 s; the provider is down from 15 s to 40 s.
    const { run, ticks } = drive(plan('sequential'), (s) => s >= 15 && s < 40, 200)
    expect(ticks.filter((t) => t.second <= 40).every((t) => t.run.phase === 'Running')).toBe(true)
    expect(run.phase).toBe('Successful')
    expect(ticks.at(-1)?.second).toBe(41)
  })
})

describe('the end of an outage', () => {
  it('sequential: an answer without traffic right after the outage does not tip the error count', () => {
    const p = plan('sequential')
    let run = startAnalysisRun(p, 'r', T0)
    const at = (s: number) => T0 + s * 1000
    const errors = [1, 2, 3, 4, 5, 6].map((s): Measurement => ({
      metric: 'error-rate',
      at: at(s),
      value: null,
      error: 'down',
    }))
    run = recordMeasurements(p, run, errors, at(6))
    expect(run.phase).toBe('Running')
    // Back, but the first window has no traffic yet: no data, not a sixth error in a row.
    run = recordMeasurements(p, run, [{ metric: 'error-rate', at: at(7), value: null }], at(7))
    expect(run.phase).toBe('Running')
    expect(run.metrics[0]).toMatchObject({ consecutiveErrors: 1, errors: 7 })
    expect(run.metrics[0]?.unavailable).toBeUndefined()
  })
})
