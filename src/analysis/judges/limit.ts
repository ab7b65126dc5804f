/**
 * The limit judge (Argo Rollouts' semantics): each metric takes `count` measurements; the run fails
 * when failed measurements exceed failureLimit, is inconclusive past inconclusiveLimit (no data
 * counts as inconclusive). Provider errors are bounded in ../outage.ts (consecutiveErrorLimit and
 * errorGraceSeconds), after the verdict.
 */
import { judgeMeasurement } from '../measurement.js'
import type { AnalysisPlan, AnalysisRunStatus, MetricPlan, MetricRunStatus } from '../types.js'
import type { Judge, MeasuredMetric } from './judge.js'

export function foldLimit(
  status: MetricRunStatus,
  metric: MetricPlan,
  m: MeasuredMetric['measurement'],
): void {
  const v = judgeMeasurement(metric, m)
  const phase = v.phase === 'NoData' ? 'Inconclusive' : v.phase
  status.measurements++
  status.lastPhase = phase
  status.lastMessage = v.message
  status.lastValue = m.value ?? null
  if (phase === 'Error') status.consecutiveErrors++
  else status.consecutiveErrors = 0
  if (phase === 'Successful') status.successful++
  else if (phase === 'Failed') status.failed++
  else if (phase === 'Inconclusive') status.inconclusive++
  else status.errors++
}

/** The limit verdict of one metric on what it measured, or undefined while within its limits. */
export function limitBreach(
  metric: MetricPlan,
  s: MetricRunStatus,
): { phase: 'Failed' | 'Error' | 'Inconclusive'; message: string } | undefined {
  if (s.failed > metric.failureLimit) {
    return {
      phase: 'Failed',
      message: `${s.lastMessage ?? metric.name} (${s.failed} failed measurement${s.failed === 1 ? '' : 's'}, failureLimit ${metric.failureLimit})`,
    }
  }
  if (s.inconclusive > metric.inconclusiveLimit) {
    return {
      phase: 'Inconclusive',
      message: `${s.lastMessage ?? metric.name} (${s.inconclusive} inconclusive measurement${s.inconclusive === 1 ? '' : 's'}, inconclusiveLimit ${metric.inconclusiveLimit})`,
    }
  }
  return undefined
}

/**
 * Measurements that gave a verdict. An errored measurement is no data: it does not use up `count`,
 * so a metric whose provider keeps failing ends in Error (../outage.ts), never in a pass.
 */
export function judgedMeasurements(s: MetricRunStatus): number {
  return s.measurements - s.errors
}

export function metricPairs(
  plan: AnalysisPlan,
  run: AnalysisRunStatus,
): { metric: MetricPlan; status: MetricRunStatus }[] {
  return plan.metrics.flatMap((metric) => {
    const status = run.metrics.find((s) => s.name === metric.name)
    return status === undefined ? [] : [{ metric, status }]
  })
}

export const limitJudge: Judge = {
  cadenceSeconds: (_plan, metric) => metric.intervalSeconds,
  wantsMore: (_plan, metric, status) =>
    metric.count === undefined || judgedMeasurements(status) < metric.count,
  fold(_plan, _run, batch) {
    for (const { metric, status, measurement } of batch) foldLimit(status, metric, measurement)
  },
  verdict(plan, run) {
    const pairs = metricPairs(plan, run)
    for (const { metric, status } of pairs) {
      const breach = limitBreach(metric, status)
      if (breach !== undefined) {
        run.phase = breach.phase
        run.message = breach.message
        run.passing = false
        return
      }
    }
    run.passing = pairs.every(({ status }) => status.lastPhase === 'Successful')
    const done =
      plan.kind !== 'background' &&
      pairs.every(
        ({ metric, status }) =>
          metric.count !== undefined && judgedMeasurements(status) >= metric.count,
      )
    const summary = pairs
      .map(
        ({ metric, status }) =>
          status.lastMessage ?? `${metric.name}: waiting for the first measurement`,
      )
      .join('; ')
    run.message = summary
    if (done) run.phase = 'Successful'
  },
}
