/**
 * The verdicts of a revision's analysis runs with their statistics: from the runs still in the status
 * (with per-metric detail) and from the verdict events of the release (runs the status no longer
 * holds, such as earlier steps' analyses). Failures first.
 */
import type { AnalysisRunStatus } from '../analysis/types.js'
import type { AnalysisVerdictReason, EventOf } from '../engine/events.js'
import type { Redactor } from './redact.js'
import { REPORT_LIMITS, type MetricEvidence, type VerdictEvidence } from './report.js'

const ORDER: Record<VerdictEvidence['phase'], number> = {
  Failed: 0,
  Error: 1,
  Inconclusive: 2,
  Running: 3,
  Successful: 4,
}

function clip(text: string): string {
  return text.length <= REPORT_LIMITS.text ? text : `${text.slice(0, REPORT_LIMITS.text - 1)}…`
}

export function collectVerdicts(
  runs: readonly AnalysisRunStatus[],
  events: readonly EventOf<AnalysisVerdictReason>[],
  redactor: Redactor,
): { verdicts: VerdictEvidence[]; omitted: number } {
  const byRun = new Map<string, Omit<VerdictEvidence, 'id'>>()
  for (const e of events) {
    byRun.set(e.run.id, {
      run: e.run.id,
      kind: e.run.kind,
      judge: e.run.judge,
      phase: e.phase,
      explanation: clip(redactor.text(e.explanation)),
      startedAt: null,
      endedAt: e.at,
      canaryRequests: 0,
      canaryErrors: 0,
      stableRequests: 0,
      stableErrors: 0,
      metrics: e.run.metrics.map((name): MetricEvidence => ({
        name,
        phase: null,
        value: null,
        message: null,
        measurements: 0,
        successful: 0,
        failed: 0,
        inconclusive: 0,
        errors: 0,
      })),
    })
  }
  // A run the status still holds has the detail: its counts and each metric's last measurement.
  for (const run of runs) {
    byRun.set(run.id, {
      run: run.id,
      kind: run.kind,
      judge: run.judge,
      phase: run.phase,
      explanation: clip(redactor.text(run.message)),
      startedAt: run.startedAt,
      endedAt: run.endedAt ?? null,
      canaryRequests: run.canaryRequests,
      canaryErrors: run.canaryErrors,
      stableRequests: run.stableRequests,
      stableErrors: run.stableErrors,
      metrics: run.metrics.slice(0, REPORT_LIMITS.metricsPerVerdict).map((m) => ({
        name: m.name,
        phase: m.lastPhase ?? null,
        value: m.lastValue ?? null,
        message: m.lastMessage === undefined ? null : clip(redactor.text(m.lastMessage)),
        measurements: m.measurements,
        successful: m.successful,
        failed: m.failed,
        inconclusive: m.inconclusive,
        errors: m.errors,
      })),
    })
  }
  const all = [...byRun.values()].sort(
    (a, b) => ORDER[a.phase] - ORDER[b.phase] || (b.endedAt ?? Infinity) - (a.endedAt ?? Infinity),
  )
  const kept = all.slice(0, REPORT_LIMITS.verdicts)
  return {
    verdicts: kept.map((v, i) => ({ id: `V${i + 1}`, ...v })),
    omitted: all.length - kept.length,
  }
}
