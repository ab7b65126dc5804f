/**
 * The threshold judge (Flagger's semantics): every interval each metric is checked; when any check
 * fails — out of range, condition false or no data — the run's failed checks grow by one for that
 * interval, and the run fails at `threshold`. A step passes after `count` passing checks per metric;
 * a failed interval does not count toward that, so the step waits and retries. Provider errors are
 * not checks: they never reach a judge (../outage.ts bounds them).
 */
import { judgeMeasurement } from '../measurement.js'
import type { Judge } from './judge.js'
import { metricPairs } from './limit.js'

export const thresholdJudge: Judge = {
  cadenceSeconds: (_plan, metric) => metric.intervalSeconds,
  wantsMore: () => true,
  fold(_plan, run, batch) {
    let failedThisInterval = false
    for (const { metric, status, measurement } of batch) {
      const v = judgeMeasurement(metric, measurement)
      status.measurements++
      status.lastMessage = v.message
      status.lastValue = measurement.value ?? null
      if (v.phase === 'Successful') {
        status.successful++
        status.lastPhase = 'Successful'
        status.consecutiveErrors = 0
      } else {
        failedThisInterval = true
        status.lastPhase = v.phase === 'NoData' ? 'Failed' : v.phase
        if (v.phase === 'Error') {
          status.errors++
          status.consecutiveErrors++
        } else status.failed++
      }
    }
    if (failedThisInterval) run.failedChecks++
  },
  verdict(plan, run) {
    const pairs = metricPairs(plan, run)
    const failing = pairs.filter(
      ({ status }) => status.lastPhase !== undefined && status.lastPhase !== 'Successful',
    )
    const checks = `${run.failedChecks} of ${plan.threshold} failed checks`
    if (run.failedChecks >= plan.threshold) {
      run.phase = 'Failed'
      run.passing = false
      run.message = `${failing.map(({ status }) => status.lastMessage).join('; ') || 'checks failed'} (${checks}, threshold ${plan.threshold})`
      return
    }
    run.passing = pairs.length > 0 && pairs.every(({ status }) => status.lastPhase === 'Successful')
    run.message = `${pairs.map(({ metric, status }) => status.lastMessage ?? `${metric.name}: waiting for the first check`).join('; ')} (${checks})`
    const done =
      plan.kind !== 'background' &&
      pairs.every(({ metric, status }) => status.successful >= (metric.count ?? 1))
    if (done) run.phase = 'Successful'
  },
}
