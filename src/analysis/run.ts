/**
 * The life of an analysis run, as pure functions over JSON state: start it, ask which measurements
 * are due, fold the answers in and let the run's judge decide. Replaying a measurement changes
 * nothing; a finished run never changes again.
 */
import { judges } from './judges/index.js'
import { runEndsAt } from './judges/sequential.js'
import { resetSegments } from './judges/sequential.js'
import {
  errorsEndRun,
  foldProviderError,
  holdWhileUnavailable,
  providerAnswered,
} from './outage.js'
import type {
  AnalysisPlan,
  AnalysisRunStatus,
  Measurement,
  MeasurementRequest,
  MetricEvidence,
  MetricRunStatus,
} from './types.js'

export { builtinMetricValue } from './measurement.js'

export function runDurationSeconds(plan: AnalysisPlan): number | undefined {
  const endsAt = runEndsAt(plan, { startedAt: 0 } as AnalysisRunStatus)
  return endsAt === undefined ? undefined : endsAt / 1000
}

export function startAnalysisRun(
  plan: AnalysisPlan,
  id: string,
  now: number,
  owner: { revision: number; stepIndex: number | null } = { revision: 0, stepIndex: null },
): AnalysisRunStatus {
  const judge = judges[plan.judge]
  const run: AnalysisRunStatus = {
    id,
    kind: plan.kind,
    revision: owner.revision,
    stepIndex: owner.stepIndex,
    judge: plan.judge,
    phase: 'Running',
    startedAt: now,
    message: 'waiting for the first measurement',
    failedChecks: 0,
    passing: false,
    segmentStartedAt: now,
    segments: 1,
    metrics: plan.metrics.map((m): MetricRunStatus => ({
      name: m.name,
      measurements: 0,
      successful: 0,
      failed: 0,
      inconclusive: 0,
      errors: 0,
      consecutiveErrors: 0,
      nextMeasureAt: now + (m.initialDelaySeconds + judge.cadenceSeconds(plan, m)) * 1000,
      lastMeasuredAt: null,
    })),
    canaryRequests: 0,
    canaryErrors: 0,
    stableRequests: 0,
    stableErrors: 0,
  }
  // The message is the judge's from the start, so re-judging an untouched run changes nothing.
  judge.verdict(plan, run, now)
  return run
}

export function requestMeasurements(
  plan: AnalysisPlan,
  run: AnalysisRunStatus,
  runId: string,
  now: number,
): { run: AnalysisRunStatus; requests: MeasurementRequest[] } {
  if (run.phase !== 'Running') return { run, requests: [] }
  const judge = judges[plan.judge]
  const requests: MeasurementRequest[] = []
  let next = run
  for (const metric of plan.metrics) {
    const index = next.metrics.findIndex((s) => s.name === metric.name)
    const status = next.metrics[index]
    if (
      status === undefined ||
      now < status.nextMeasureAt ||
      !judge.wantsMore(plan, metric, status)
    )
      continue
    if (next === run) next = structuredClone(run)
    const from = status.lastMeasuredAt ?? run.startedAt + metric.initialDelaySeconds * 1000
    requests.push({ runId, metric: metric.name, provider: metric.provider, from, to: now })
    const copy = next.metrics[index]
    if (copy !== undefined) copy.nextMeasureAt = now + judge.cadenceSeconds(plan, metric) * 1000
  }
  return { run: next, requests }
}

export function recordMeasurements(
  plan: AnalysisPlan,
  run: AnalysisRunStatus,
  measurements: Measurement[],
  now: number,
): AnalysisRunStatus {
  if (run.phase !== 'Running') return run
  const next = structuredClone(run)
  const batch = []
  for (const measurement of [...measurements].sort((a, b) => a.at - b.at)) {
    const metric = plan.metrics.find((m) => m.name === measurement.metric)
    const status = next.metrics.find((s) => s.name === measurement.metric)
    if (metric === undefined || status === undefined) continue
    if (status.lastMeasuredAt !== null && measurement.at <= status.lastMeasuredAt) continue
    status.lastMeasuredAt = measurement.at
    // A provider error says nothing about the canary: it is bounded by ./outage.ts, not judged.
    const { error } = measurement
    if (error !== undefined) foldProviderError(metric, status, { ...measurement, error })
    else {
      providerAnswered(status)
      batch.push({ metric, status, measurement })
    }
  }
  const judge = judges[plan.judge]
  if (batch.length > 0) judge.fold(plan, next, batch)
  // Errors past their bounds end the run before the judge sees stale evidence as a verdict.
  if (!errorsEndRun(plan, next, now)) {
    judge.verdict(plan, next, now)
    holdWhileUnavailable(plan, next, now)
  }
  if (next.phase !== 'Running') next.endedAt = now
  return JSON.stringify(next) === JSON.stringify(run) ? run : next
}

export function startSegment(
  _plan: AnalysisPlan,
  run: AnalysisRunStatus,
  now: number,
): AnalysisRunStatus {
  if (run.phase !== 'Running') return run
  const next = structuredClone(run)
  resetSegments(next, now)
  return next
}

/** The sequential judge's evidence on each metric it has compared so far; empty for other judges. */
export function sequentialEvidence(run: AnalysisRunStatus): MetricEvidence[] {
  if (run.judge !== 'sequential') return []
  return run.metrics.flatMap((m) =>
    m.sequential?.logBound === undefined
      ? []
      : [
          {
            metric: m.name,
            logLikelihoodRatio: Math.max(
              m.sequential.logBayesFactor,
              m.sequential.logBayesFactorAbsolute,
            ),
            logBound: m.sequential.logBound,
          },
        ],
  )
}
