/**
 * Builds the evidence report from what a driver gathered — analysis runs and verdict events, the
 * proxy's per-path counts, both sides' log records, the two revisions' workloads — redacted and cut
 * to REPORT_LIMITS. Pure: the same input gives the same report.
 */
import type { AnalysisRunStatus } from '../analysis/types.js'
import type { AnalysisVerdictReason, EventOf } from '../engine/events.js'
import { diffLogs, type LogSides } from './log-diff.js'
import { Redactor } from './redact.js'
import {
  DIAGNOSIS_SCHEMA_VERSION,
  REPORT_LIMITS,
  type DiagnosisReport,
  type DiagnosisTrigger,
  type LogDiff,
  type ReportOutcome,
  type RequestBreakdown,
  type RevisionChange,
} from './report.js'
import { breakdownRequests, type RouteCount } from './request-breakdown.js'
import { diffRevisions, secretValues, type WorkloadShape } from './revision-change.js'
import { collectVerdicts } from './verdicts.js'

/** A part the driver could not gather, and why (shown in the report instead of the part). */
export interface Unavailable {
  unavailable: string
}

export interface ReportInput {
  rollout: string
  revision: number
  stableRevision: number | null
  trigger: DiagnosisTrigger
  now: number
  window: { from: number; to: number }
  outcome: ReportOutcome | null
  /** The revision's analysis runs the status holds. */
  runs: AnalysisRunStatus[]
  /** The verdict events of the revision's release. */
  verdictEvents: EventOf<AnalysisVerdictReason>[]
  requests: { canary: RouteCount[]; stable: RouteCount[] } | Unavailable
  logs: LogSides | Unavailable
  workloads: {
    from: { revision: number; workload: WorkloadShape } | null
    to: { revision: number; workload: WorkloadShape } | null
  }
  /** Environment variables the user marked secret (names that look secret are hidden anyway). */
  secretEnv: string[]
}

/** Environment values that differ between the two revisions (old and new). */
function changedValues(workloads: ReportInput['workloads']): string[] {
  const a = workloads.from?.workload.env ?? {}
  const b = workloads.to?.workload.env ?? {}
  const out: string[] = []
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (a[name] === b[name]) continue
    if (a[name] !== undefined) out.push(a[name])
    if (b[name] !== undefined) out.push(b[name])
  }
  return out
}

function isUnavailable(v: object): v is Unavailable {
  return 'unavailable' in v
}

export function buildReport(input: ReportInput): DiagnosisReport {
  const redactor = new Redactor(
    secretValues([input.workloads.from?.workload, input.workloads.to?.workload], input.secretEnv),
  )
  const truncated: string[] = []
  const { verdicts, omitted } = collectVerdicts(input.runs, input.verdictEvents, redactor)
  if (omitted > 0) truncated.push('verdicts')

  const requests: RequestBreakdown = isUnavailable(input.requests)
    ? {
        available: false,
        note: input.requests.unavailable,
        canaryRequests: 0,
        stableRequests: 0,
        rows: [],
        omitted: 0,
      }
    : breakdownRequests(input.requests.canary, input.requests.stable, redactor)
  if (requests.omitted > 0) truncated.push('requests.rows')

  const logs: LogDiff = isUnavailable(input.logs)
    ? {
        available: false,
        note: input.logs.unavailable,
        windowed: false,
        canaryLines: 0,
        stableLines: 0,
        templates: [],
        common: 0,
        omitted: 0,
      }
    : diffLogs({ ...input.logs, changedValues: changedValues(input.workloads) }, redactor)
  if (logs.omitted > 0) truncated.push('logs.templates')

  const to = input.workloads.to
  const change: RevisionChange =
    to === null
      ? {
          available: false,
          note: `the workload of revision ${input.revision} is not stored`,
          from: input.workloads.from?.revision ?? null,
          to: input.revision,
          items: [],
          omitted: 0,
        }
      : diffRevisions(input.workloads.from, to, input.secretEnv, redactor)
  if (change.omitted > 0) truncated.push('change.items')

  const report: DiagnosisReport = {
    schemaVersion: DIAGNOSIS_SCHEMA_VERSION,
    rollout: input.rollout,
    revision: input.revision,
    stableRevision: input.stableRevision,
    trigger: input.trigger,
    createdAt: input.now,
    window: input.window,
    outcome:
      input.outcome === null
        ? null
        : { ...input.outcome, reason: redactor.text(input.outcome.reason) },
    verdicts,
    requests,
    logs,
    change,
    redactions: 0,
    truncated,
  }
  report.redactions = redactor.count
  return boundReport(report)
}

/** Bytes of a report's JSON. */
export function reportBytes(report: DiagnosisReport): number {
  return Buffer.byteLength(JSON.stringify(report))
}

/**
 * Cuts a report until its JSON fits REPORT_LIMITS.jsonBytes: one sample per template, then fewer
 * templates, request rows and changes, halving each time. Ids stay as they were (the kept ones are
 * the first, so no citation changes meaning).
 */
export function boundReport(report: DiagnosisReport): DiagnosisReport {
  if (reportBytes(report) <= REPORT_LIMITS.jsonBytes) return report
  const r = structuredClone(report)
  const note = (what: string): void => {
    if (!r.truncated.includes(what)) r.truncated.push(what)
  }
  for (const t of r.logs.templates) t.samples = t.samples.slice(0, 1)
  note('logs.samples')
  while (reportBytes(r) > REPORT_LIMITS.jsonBytes) {
    const longest = [
      {
        n: r.logs.templates.length,
        cut: () => (r.logs.omitted += halve(r.logs.templates)),
        what: 'logs.templates',
      },
      {
        n: r.requests.rows.length,
        cut: () => (r.requests.omitted += halve(r.requests.rows)),
        what: 'requests.rows',
      },
      {
        n: r.change.items.length,
        cut: () => (r.change.omitted += halve(r.change.items)),
        what: 'change.items',
      },
      { n: r.verdicts.length, cut: () => halve(r.verdicts), what: 'verdicts' },
    ].sort((a, b) => b.n - a.n)[0]
    if (longest === undefined || longest.n <= 1) break
    longest.cut()
    note(longest.what)
  }
  return r
}

/** Drops the second half of a list in place; returns how many went. */
function halve(list: unknown[]): number {
  const drop = Math.floor(list.length / 2)
  list.splice(list.length - drop, drop)
  return drop
}
