/**
 * Monitoring outages: a provider that errors is no evidence about the canary, so its errors are
 * kept out of the judges and bounded here, in time (`errorGraceSeconds`) and in count
 * (`consecutiveErrorLimit`). While a metric's monitoring is unavailable its run holds.
 */
import type {
  AnalysisPlan,
  AnalysisRunStatus,
  Measurement,
  MetricPlan,
  MetricRunStatus,
} from './types.js'

/** A metric whose provider has been failing since `since`, as the run and the engine report it. */
export interface MetricOutage {
  metric: string
  /** Epoch ms of the first errored measurement of this outage. */
  since: number
  errors: number
  graceSeconds: number
  consecutiveErrorLimit: number
  /** The provider's last error, e.g. "prometheus: connect ECONNREFUSED 127.0.0.1:9090". */
  error: string
}

/** Folds one errored measurement: counted as an error, never shown to the judge. */
export function foldProviderError(
  metric: MetricPlan,
  status: MetricRunStatus,
  m: Measurement & { error: string },
): void {
  status.measurements++
  status.errors++
  status.consecutiveErrors++
  status.lastPhase = 'Error'
  status.lastMessage = `${metric.name}: ${m.error}`
  status.unavailable = { since: status.unavailable?.since ?? m.at, error: status.lastMessage }
  status.lastValue = null
}

/**
 * An answer came back: the metric's outage, if any, is over, and so is its run of errors — an
 * answer without data right after a restart must not be the error that tips the count.
 */
export function providerAnswered(status: MetricRunStatus): void {
  if (status.unavailable === undefined) return
  delete status.unavailable
  status.consecutiveErrors = 0
}

function outageOf(metric: MetricPlan, status: MetricRunStatus): MetricOutage | undefined {
  if (status.unavailable === undefined) return undefined
  return {
    metric: metric.name,
    since: status.unavailable.since,
    errors: status.consecutiveErrors,
    graceSeconds: metric.errorGraceSeconds,
    consecutiveErrorLimit: metric.consecutiveErrorLimit,
    error: status.unavailable.error,
  }
}

/** The metrics of a running run whose monitoring is unavailable, the longest outage first. */
export function runOutages(plan: AnalysisPlan, run: AnalysisRunStatus): MetricOutage[] {
  if (run.phase !== 'Running') return []
  return plan.metrics
    .flatMap((metric) => {
      const status = run.metrics.find((s) => s.name === metric.name)
      const outage = status === undefined ? undefined : outageOf(metric, status)
      return outage === undefined ? [] : [outage]
    })
    .sort((a, b) => a.since - b.since)
}

const secondsOf = (ms: number): number => Math.max(0, Math.floor(ms / 1000))

/** "monitoring unavailable for 12 s of 60 s grace: holding" (the provider's error is beside it). */
export function holdMessage(outage: MetricOutage, now: number): string {
  const lasted = secondsOf(now - outage.since)
  const where =
    lasted < outage.graceSeconds
      ? `for ${lasted} s of ${outage.graceSeconds} s grace`
      : `for ${lasted} s, past its ${outage.graceSeconds} s grace (${outage.errors} of more than ${outage.consecutiveErrorLimit} errors in a row needed to fail)`
  return `monitoring unavailable ${where}: holding`
}

/**
 * Why the metric's errors end the run now, or undefined. With an outage under way, both bounds
 * must be passed: more errors in a row than the limit, over at least the grace — a restart of the
 * monitoring that is short in time fails nothing however often it is asked, and a slow metric
 * keeps Argo's count. Errors that are not an outage (no traffic data) are bounded by count alone.
 */
export function errorBreach(
  metric: MetricPlan,
  status: MetricRunStatus,
  now: number,
): string | undefined {
  if (status.consecutiveErrors <= metric.consecutiveErrorLimit) return undefined
  const counted = `${status.consecutiveErrors} errors in a row, consecutiveErrorLimit ${metric.consecutiveErrorLimit}`
  const outage = status.unavailable
  if (outage === undefined) return `${status.lastMessage ?? metric.name} (${counted})`
  if (now - outage.since < metric.errorGraceSeconds * 1000) return undefined
  return `${outage.error} (monitoring unavailable for ${secondsOf(now - outage.since)} s, errorGracePeriod ${metric.errorGraceSeconds} s; ${counted})`
}

/** Ends the run in Error when a metric's errors are past their bounds; true when it did. */
export function errorsEndRun(plan: AnalysisPlan, run: AnalysisRunStatus, now: number): boolean {
  for (const metric of plan.metrics) {
    const status = run.metrics.find((s) => s.name === metric.name)
    const breach = status === undefined ? undefined : errorBreach(metric, status, now)
    if (breach !== undefined) {
      Object.assign(run, { phase: 'Error', message: breach, passing: false })
      return true
    }
  }
  return false
}

/**
 * After the judge's verdict: while a metric's monitoring is unavailable nothing passes — no data,
 * no promotion — and the run says it holds. An inconclusive verdict stands (it pauses for a person).
 */
export function holdWhileUnavailable(
  plan: AnalysisPlan,
  run: AnalysisRunStatus,
  now: number,
): void {
  if (run.phase !== 'Running' && run.phase !== 'Successful') return
  const held = runOutages(plan, { ...run, phase: 'Running' })[0]
  if (held === undefined) return
  run.phase = 'Running'
  run.passing = false
  const judged = run.message.includes(held.error) ? run.message : `${held.error}; ${run.message}`
  run.message = `${holdMessage(held, now)}; ${judged}`
}
