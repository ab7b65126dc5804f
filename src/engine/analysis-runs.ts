/**
 * The analysis runs of a tick: start them, find the one a step is waiting on, fold this tick's
 * measurements in (with an event when a run ends), ask for the measurements now due, stop them.
 */
import {
  recordMeasurements,
  requestMeasurements as dueMeasurements,
  sequentialEvidence,
  startAnalysisRun,
} from '../analysis/run.js'
import type { AnalysisPlan, AnalysisRunStatus } from '../analysis/types.js'
import type { AnalysisRunRef } from './events.js'
import type { Severity } from './plan.js'
import type { Tick } from './tick.js'

export function startRun(
  t: Tick,
  plan: AnalysisPlan,
  stepIndex: number | null = null,
): AnalysisRunStatus {
  t.status.runCounter++
  const id = `${plan.kind}-${t.status.revision}-${t.status.runCounter}`
  const run = startAnalysisRun(plan, id, t.now, { revision: t.status.revision, stepIndex })
  t.emit(
    'info',
    { reason: 'AnalysisStarted', run: runRef(run, plan) },
    `${runLabel(plan.kind, stepIndex)} started (${plan.judge} judge, metrics: ${plan.metrics.map((m) => m.name).join(', ')})`,
  )
  return run
}

/** The active step-level run when it is for this revision, of this kind and (canary) this step. */
export function currentRun(
  t: Tick,
  kind: AnalysisPlan['kind'],
  stepIndex: number | null,
): AnalysisRunStatus | undefined {
  const run = t.status.analyses.step
  if (run === null) return undefined
  return run.kind === kind && run.revision === t.status.revision && run.stepIndex === stepIndex
    ? run
    : undefined
}

/** The plan an existing run belongs to, or undefined when the spec no longer has it. */
export function planForRun(t: Tick, run: AnalysisRunStatus): AnalysisPlan | undefined {
  if (run.kind === 'background') return t.plan.analysis
  const strategy = t.plan.strategy
  if (run.kind === 'prePromotion')
    return strategy.kind === 'blueGreen' ? strategy.prePromotionAnalysis : undefined
  if (run.kind === 'postPromotion')
    return strategy.kind === 'blueGreen' ? strategy.postPromotionAnalysis : undefined
  if (strategy.kind !== 'canary' || run.stepIndex === null) return undefined
  const step = strategy.steps[run.stepIndex]
  if (step?.kind !== 'analysis') return undefined
  return withCarriedChecks(t, step.analysis)
}

/** Threshold judge: failed checks of earlier steps count toward this run's threshold (Flagger). */
export function withCarriedChecks(t: Tick, plan: AnalysisPlan): AnalysisPlan {
  if (plan.judge !== 'threshold' || t.status.failedChecks === 0) return plan
  return { ...plan, threshold: Math.max(1, plan.threshold - t.status.failedChecks) }
}

/** Feeds this tick's measurements into the active runs and re-judges them. */
export function foldMeasurements(t: Tick): void {
  const fold = (run: AnalysisRunStatus | null): AnalysisRunStatus | null => {
    if (run?.phase !== 'Running') return run
    const plan = planForRun(t, run)
    if (plan === undefined)
      return {
        ...run,
        phase: 'Inconclusive',
        endedAt: t.now,
        message: 'analysis removed from the spec',
      }
    const mine = t.obs.measurements.filter((m) => m.runId === run.id).map((m) => m.measurement)
    const next = recordMeasurements(plan, run, mine, t.now)
    if (next.phase !== 'Running') {
      const severity: Severity = next.phase === 'Successful' ? 'info' : 'error'
      t.emit(
        severity,
        {
          reason: `Analysis${next.phase}`,
          run: runRef(next, plan),
          phase: next.phase,
          explanation: next.message,
          ...(next.judge === 'sequential' ? { evidence: sequentialEvidence(next) } : {}),
          tally: next.metrics.map((m) => ({
            name: m.name,
            measurements: m.measurements,
            successful: m.successful,
            failed: m.failed,
            inconclusive: m.inconclusive,
            errors: m.errors,
            ...(m.lastPhase === undefined ? {} : { lastPhase: m.lastPhase }),
          })),
        },
        `${runLabel(run.kind, run.stepIndex)} ${next.phase.toLowerCase()}: ${next.message}`,
      )
    }
    return next
  }
  t.status.analyses.background = fold(t.status.analyses.background)
  t.status.analyses.step = fold(t.status.analyses.step)
}

export function requestMeasurements(t: Tick): void {
  for (const key of ['background', 'step'] as const) {
    const run = t.status.analyses[key]
    if (run?.phase !== 'Running') continue
    const plan = planForRun(t, run)
    if (plan === undefined) continue
    const res = dueMeasurements(plan, run, run.id, t.now)
    t.status.analyses[key] = res.run
    for (const request of res.requests) t.measures.push({ type: 'measure', request })
  }
}

/** Stops every running analysis (rollout decided or replaced). */
export function endRuns(t: Tick, reason: string): void {
  for (const key of ['background', 'step'] as const) {
    const run = t.status.analyses[key]
    if (run?.phase === 'Running') {
      t.status.analyses[key] = {
        ...run,
        phase: 'Inconclusive',
        endedAt: t.now,
        message: `${run.message} — stopped: ${reason}`,
      }
    }
  }
}

function runRef(run: AnalysisRunStatus, plan: AnalysisPlan): AnalysisRunRef {
  return {
    id: run.id,
    kind: run.kind,
    stepIndex: run.stepIndex,
    judge: run.judge,
    metrics: plan.metrics.map((m) => m.name),
  }
}

/** A run as people name it: "analysis of step 3", "background analysis", "pre-promotion analysis". */
export function runLabel(kind: AnalysisPlan['kind'], stepIndex: number | null): string {
  switch (kind) {
    case 'step':
      return stepIndex === null ? 'step analysis' : `analysis of step ${stepIndex + 1}`
    case 'background':
      return 'background analysis'
    case 'prePromotion':
      return 'pre-promotion analysis'
    case 'postPromotion':
      return 'post-promotion analysis'
  }
}
