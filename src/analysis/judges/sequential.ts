/**
 * The sequential judge: compares canary with stable as data arrives. For error metrics, each failed
 * request is "from the canary" with probability equal to the canary's share of traffic if the canary
 * is no worse; for latency, the same holds for requests slower than a reference taken from stable.
 * A mixture likelihood-ratio test on those counts (./sequential-test.ts) may be checked after every
 * window without inflating alpha, so a clearly bad canary is stopped after a handful of requests.
 * With a thresholdRange, a second test checks the canary against the bound itself, and at the end of
 * the window the canary's observed value must be within the bound (see `aboveMax`). Traffic metrics
 * are the builtin ones and Prometheus metrics read as per-version counters; other metrics are judged
 * with the limit judge's rules inside the same run.
 */
import { formatValue, isRateMetric, round, trafficMetricOf } from '../measurement.js'
import { formatP, logMixtureLikelihoodRatio, pValue, segmentAlpha } from '../sequential-test.js'
import { emptySketch } from '../latency-sketch.js'
import {
  addSketchOf,
  interpolatedNote,
  LATENCY_BUCKETS_MS,
  latencyQuantile,
  requestsSlowerThan,
  type VersionTraffic,
} from '../traffic.js'
import type {
  AnalysisPlan,
  AnalysisRunStatus,
  MetricPlan,
  MetricRunStatus,
  SegmentCounts,
  SequentialState,
} from '../types.js'
import type { Judge } from './judge.js'
import { foldLimit, judgedMeasurements, limitBreach, metricPairs } from './limit.js'

/** Windows of this many seconds: the judge looks at the data every second. */
const SEQUENTIAL_CADENCE_SECONDS = 1
/** Stable requests needed before its latency is a usable reference. */
const MIN_STABLE_FOR_LATENCY = 100

export function emptySegment(): SegmentCounts {
  return {
    requests: 0,
    errors: 0,
    latencyBuckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
    latencySketch: emptySketch(),
  }
}

export function emptySequentialState(): SequentialState {
  return {
    canary: emptySegment(),
    stable: emptySegment(),
    logBayesFactor: 0,
    logBayesFactorAbsolute: 0,
  }
}

function add(into: SegmentCounts, t: VersionTraffic): void {
  addSketchOf(into, t)
  into.requests += t.requests
  into.errors += t.errors
  for (let i = 0; i < into.latencyBuckets.length; i++)
    into.latencyBuckets[i] = (into.latencyBuckets[i] ?? 0) + (t.latencyBuckets[i] ?? 0)
}

/** SegmentCounts viewed as traffic, for the latency helpers. */
function asTraffic(s: SegmentCounts): VersionTraffic {
  return {
    requests: s.requests,
    errors: s.errors,
    latencyBuckets: s.latencyBuckets,
    ...(s.latencySketch === undefined ? {} : { latencySketch: s.latencySketch }),
    latencySumMs: 0,
    statusClasses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, failed: 0 },
  }
}

/** Said after the quantiles of both sides when either was interpolated from buckets. */
function interpolated(seq: SequentialState): string {
  return interpolatedNote(seq.canary) || interpolatedNote(seq.stable)
}

function quantileOf(metric: MetricPlan): number {
  const quantity = trafficMetricOf(metric)
  if (quantity === undefined) return 0.5
  const m = /^latency-p(\d+)$/.exec(quantity)
  return m === null ? 0.5 : Number(m[1]) / 100
}

function pct(k: number, n: number): string {
  return n === 0 ? '—' : `${round((100 * k) / n, (100 * k) / n < 10 ? 1 : 1)}%`
}

interface TestOutcome {
  rejected: boolean
  message: string
}

/** Runs the comparative and absolute tests of one traffic metric over its segment. */
function testMetric(
  plan: AnalysisPlan,
  run: AnalysisRunStatus,
  metric: MetricPlan,
  seq: SequentialState,
  trafficCount: number,
): TestOutcome {
  const alpha = segmentAlpha(plan.alpha / Math.max(1, trafficCount), run.segments)
  const c = seq.canary
  const s = seq.stable
  const canShare = c.requests > 0 && s.requests > 0
  const range = metric.thresholdRange
  if (isRateMetric(metric)) {
    const maxErrorPercent =
      trafficMetricOf(metric) === 'success-rate'
        ? range?.min === undefined
          ? undefined
          : 100 - range.min
        : range?.max
    const tests =
      (canShare ? 1 : 0) +
      (maxErrorPercent !== undefined && maxErrorPercent > 0 && maxErrorPercent < 100 ? 1 : 0)
    const bound = Math.log(Math.max(1, tests) / alpha)
    seq.logBound = bound
    seq.logBayesFactor = canShare
      ? logMixtureLikelihoodRatio(
          c.errors,
          c.errors + s.errors,
          c.requests / (c.requests + s.requests),
        )
      : 0
    seq.logBayesFactorAbsolute =
      maxErrorPercent !== undefined && maxErrorPercent > 0 && maxErrorPercent < 100
        ? logMixtureLikelihoodRatio(c.errors, c.requests, maxErrorPercent / 100)
        : 0
    const versus = `canary error rate ${pct(c.errors, c.requests)} (${c.errors}/${c.requests}) vs stable ${pct(s.errors, s.requests)} (${s.errors}/${s.requests})`
    if (canShare && seq.logBayesFactor >= bound)
      return { rejected: true, message: `${versus}; ${formatP(pValue(seq.logBayesFactor))}` }
    if (seq.logBayesFactorAbsolute >= bound && maxErrorPercent !== undefined) {
      return {
        rejected: true,
        message: `canary error rate ${pct(c.errors, c.requests)} (${c.errors}/${c.requests}) above max ${maxErrorPercent}%; ${formatP(pValue(seq.logBayesFactorAbsolute))}`,
      }
    }
    const within =
      maxErrorPercent === undefined
        ? ''
        : c.errors * 100 <= maxErrorPercent * c.requests
          ? `, within max ${maxErrorPercent}%`
          : `, above max ${maxErrorPercent}% (not yet significant)`
    return {
      rejected: false,
      message: `${versus}${within}; ${formatP(pValue(Math.max(seq.logBayesFactor, seq.logBayesFactorAbsolute)))}`,
    }
  }
  // Latency: count requests slower than a reference, on both sides.
  const q = quantileOf(metric)
  const label = (trafficMetricOf(metric) ?? metric.name).replace('latency-', 'latency ')
  const canaryQ = latencyQuantile(asTraffic(c), q)
  const stableQ = latencyQuantile(asTraffic(s), q)
  const comparative = canShare && s.requests >= MIN_STABLE_FOR_LATENCY
  const absolute = range?.max !== undefined
  const tests = (comparative ? 1 : 0) + (absolute ? 1 : 0)
  const bound = Math.log(Math.max(1, tests) / alpha)
  seq.logBound = bound
  const reference = Math.max(stableQ * 1.2, stableQ + 5)
  const canarySlow = comparative ? requestsSlowerThan(asTraffic(c), reference) : 0
  const stableSlow = comparative ? requestsSlowerThan(asTraffic(s), reference) : 0
  seq.logBayesFactor = comparative
    ? logMixtureLikelihoodRatio(
        canarySlow,
        canarySlow + stableSlow,
        c.requests / (c.requests + s.requests),
      )
    : 0
  const overMax = absolute ? requestsSlowerThan(asTraffic(c), range.max ?? 0) : 0
  seq.logBayesFactorAbsolute = absolute ? logMixtureLikelihoodRatio(overMax, c.requests, 1 - q) : 0
  const versus = `${label} canary ${formatValue(metric, canaryQ)} vs stable ${formatValue(metric, stableQ)}${interpolated(seq)}`
  if (comparative && seq.logBayesFactor >= bound) {
    return {
      rejected: true,
      message: `${versus} (${canarySlow} of ${c.requests} canary requests slower than ${Math.round(reference)} ms vs ${stableSlow} of ${s.requests} stable); ${formatP(pValue(seq.logBayesFactor))}`,
    }
  }
  if (absolute && seq.logBayesFactorAbsolute >= bound) {
    return {
      rejected: true,
      message: `${label} canary ${formatValue(metric, canaryQ)}${interpolatedNote(c)} above max ${formatValue(metric, range.max ?? 0)} (${overMax} of ${c.requests} canary requests slower); ${formatP(pValue(seq.logBayesFactorAbsolute))}`,
    }
  }
  // With no canary latency yet there is nothing to hold against max (NaN compares false both ways).
  const within =
    !absolute || Number.isNaN(canaryQ)
      ? ''
      : canaryQ <= (range.max ?? 0)
        ? `, within max ${formatValue(metric, range.max ?? 0)}`
        : `, above max ${formatValue(metric, range.max ?? 0)} (not yet significant)`
  return {
    rejected: false,
    message: `${versus}${within}; ${formatP(pValue(Math.max(seq.logBayesFactor, seq.logBayesFactorAbsolute)))}`,
  }
}

/**
 * What `thresholdRange.max` (or success-rate's `min`) means at the end of a window under this judge:
 * the canary's observed value must be within it. The sequential tests above stop a canary early only
 * on strong evidence; a canary observed above max when the window ends, without that evidence, is
 * given more time (the run is extended by its own length) and fails if it is still above max then.
 * Returns the reason it is above, or undefined when it is within (or there is no bound).
 */
function aboveMax(metric: MetricPlan, seq: SequentialState): string | undefined {
  const c = seq.canary
  if (c.requests === 0) return undefined
  const range = metric.thresholdRange
  if (isRateMetric(metric)) {
    const maxErrorPercent =
      trafficMetricOf(metric) === 'success-rate'
        ? range?.min === undefined
          ? undefined
          : 100 - range.min
        : range?.max
    if (maxErrorPercent === undefined) return undefined
    const observed = (100 * c.errors) / c.requests
    if (observed <= maxErrorPercent) return undefined
    return trafficMetricOf(metric) === 'success-rate'
      ? `canary success rate ${round(100 - observed, 2)}% (${c.requests - c.errors}/${c.requests}) below min ${range?.min ?? 0}%`
      : `canary error rate ${pct(c.errors, c.requests)} (${c.errors}/${c.requests}) above max ${maxErrorPercent}%`
  }
  if (range?.max === undefined) return undefined
  const canaryQ = latencyQuantile(asTraffic(c), quantileOf(metric))
  if (canaryQ <= range.max) return undefined
  const label =
    metric.provider.kind === 'builtin'
      ? metric.provider.metric.replace('latency-', 'latency ')
      : metric.name
  return `${label} canary ${formatValue(metric, canaryQ)}${interpolatedNote(c)} above max ${formatValue(metric, range.max)}`
}

/** Metrics measured as per-version traffic get the sequential tests; others the limit rules. */
function isTraffic(metric: MetricPlan): boolean {
  return trafficMetricOf(metric) !== undefined
}

export function runEndsAt(plan: AnalysisPlan, run: AnalysisRunStatus): number | undefined {
  if (plan.kind === 'background') return undefined
  const seconds = Math.max(
    0,
    ...plan.metrics.map((m) => m.initialDelaySeconds + (m.count ?? 1) * m.intervalSeconds),
  )
  return run.startedAt + seconds * 1000
}

export const sequentialJudge: Judge = {
  cadenceSeconds: (_plan, metric) =>
    isTraffic(metric) ? SEQUENTIAL_CADENCE_SECONDS : metric.intervalSeconds,
  wantsMore: (_plan, metric, status) =>
    isTraffic(metric) || metric.count === undefined || judgedMeasurements(status) < metric.count,
  fold(plan, run, batch) {
    const firstTraffic = plan.metrics.find(isTraffic)?.name
    for (const { metric, status, measurement } of batch) {
      if (!isTraffic(metric)) {
        foldLimit(status, metric, measurement)
        continue
      }
      status.measurements++
      status.lastValue = measurement.value ?? null
      if (measurement.error !== undefined || measurement.traffic === undefined) {
        status.errors++
        status.consecutiveErrors++
        status.lastPhase = 'Error'
        status.lastMessage = `${metric.name}: ${measurement.error ?? 'no traffic data'}`
        continue
      }
      status.consecutiveErrors = 0
      const seq = (status.sequential ??= emptySequentialState())
      add(seq.canary, measurement.traffic.canary)
      add(seq.stable, measurement.traffic.stable)
      if (metric.name === firstTraffic) {
        run.canaryRequests += measurement.traffic.canary.requests
        run.canaryErrors += measurement.traffic.canary.errors
        run.stableRequests += measurement.traffic.stable.requests
        run.stableErrors += measurement.traffic.stable.errors
      }
    }
  },
  verdict(plan, run, now) {
    const pairs = metricPairs(plan, run)
    const traffic = pairs.filter(({ metric }) => isTraffic(metric))
    const messages: string[] = []
    for (const { metric, status } of pairs) {
      if (!isTraffic(metric)) {
        const breach = limitBreach(metric, status)
        if (breach !== undefined) {
          Object.assign(run, { phase: breach.phase, message: breach.message, passing: false })
          return
        }
        if (status.lastMessage !== undefined) messages.push(status.lastMessage)
        continue
      }
      // Errors in a row are bounded before the verdict, in ../outage.ts.
      const seq = (status.sequential ??= emptySequentialState())
      const outcome = testMetric(plan, run, metric, seq, traffic.length)
      status.lastMessage = outcome.message
      status.lastPhase = outcome.rejected ? 'Failed' : 'Successful'
      if (outcome.rejected) {
        status.failed++
        Object.assign(run, { phase: 'Failed', message: outcome.message, passing: false })
        return
      }
      messages.push(outcome.message)
    }
    const enough = run.canaryRequests >= plan.minCanaryRequests || traffic.length === 0
    const othersDone = pairs.every(
      ({ metric, status }) =>
        isTraffic(metric) ||
        (metric.count !== undefined && judgedMeasurements(status) >= metric.count),
    )
    const othersPassing = pairs.every(
      ({ metric, status }) => isTraffic(metric) || status.lastPhase === 'Successful',
    )
    const over = traffic.flatMap(({ metric, status }) => {
      const reason =
        status.sequential === undefined ? undefined : aboveMax(metric, status.sequential)
      return reason === undefined ? [] : [reason]
    })
    run.passing = enough && othersPassing && over.length === 0
    const endsAt = runEndsAt(plan, run)
    const waiting = enough
      ? ''
      : `waiting for data: ${run.canaryRequests} of ${plan.minCanaryRequests} canary requests; `
    run.message = `${waiting}${messages.join('; ') || 'no measurement yet'}`
    if (endsAt === undefined || now < endsAt || !enough || !othersDone || !othersPassing) return
    if (over.length === 0) {
      run.phase = 'Successful'
      return
    }
    const extensionEndsAt = endsAt + (endsAt - run.startedAt)
    const extension = Math.round((endsAt - run.startedAt) / 1000)
    if (now < extensionEndsAt) {
      run.message = `${over.join('; ')} at the end of the window, without strong evidence yet: analysis extended by up to ${extension}s to gather more data; ${messages.join('; ')}`
      return
    }
    Object.assign(run, {
      phase: 'Failed',
      message: `${over.join('; ')} after the window and its ${extension}s extension; ${messages.join('; ')}`,
      passing: false,
    })
    for (const { metric, status } of traffic) {
      if (status.sequential !== undefined && aboveMax(metric, status.sequential) !== undefined) {
        status.failed++
        status.lastPhase = 'Failed'
      }
    }
  },
}

export function resetSegments(run: AnalysisRunStatus, now: number): void {
  run.segments++
  run.segmentStartedAt = now
  for (const m of run.metrics) if (m.sequential !== undefined) m.sequential = emptySequentialState()
}

export type { MetricRunStatus }
