/**
 * The evidence report of a release, as stable JSON: each verdict with its statistics, the per-version
 * request breakdown, the log diff, and the change between the two revisions. Built without any model;
 * every item carries an id (V1, R1, L1, C1) that an advisor's answer must cite.
 */
import type { AnalysisPhase, JudgeName, MeasurementPhase } from '../analysis/types.js'
import type { RollbackCause } from '../engine/events.js'

/** Bumped when a field changes meaning or goes away; new optional fields do not bump it. */
export const DIAGNOSIS_SCHEMA_VERSION = 1

/** Why a report was made: a rollback, a person asking, or a check before an automatic promotion. */
export const DIAGNOSIS_TRIGGERS = ['rollback', 'on-demand', 'pre-promotion'] as const
export type DiagnosisTrigger = (typeof DIAGNOSIS_TRIGGERS)[number]

/** What keeps a report small enough to store, show and send to a model, whatever the logs hold. */
export const REPORT_LIMITS = {
  verdicts: 10,
  metricsPerVerdict: 10,
  requestRows: 20,
  templates: 20,
  samplesPerTemplate: 2,
  changes: 40,
  /** Characters of one template, sample line, explanation or changed value. */
  text: 500,
  /** A report's JSON is cut down further (fewer samples, rows, templates) until it fits. */
  jsonBytes: 64 * 1024,
} as const

export interface ReportOutcome {
  result: 'RolledBack' | 'Promoted'
  /** Why it was rolled back (rollbacks only). */
  cause: RollbackCause | null
  reason: string
  at: number
  canaryWeight: number
  stepIndex: number
}

export interface MetricEvidence {
  name: string
  /** The phase of its latest measurement, or null before the first one. */
  phase: MeasurementPhase | null
  value: number | number[] | null
  /** The judge's words for the latest measurement, e.g. "error-rate 14.8% > max 2%". */
  message: string | null
  measurements: number
  successful: number
  failed: number
  inconclusive: number
  errors: number
}

/** One analysis run of the diagnosed revision, with what its judge saw. */
export interface VerdictEvidence {
  id: string
  run: string
  kind: 'background' | 'step' | 'prePromotion' | 'postPromotion'
  judge: JudgeName
  phase: AnalysisPhase
  /** The judge's explanation, e.g. "canary error rate 14.8% (37/250) vs stable 0.2% (9/4750)". */
  explanation: string
  /** Null when only the run's verdict event is left (an earlier step's run). */
  startedAt: number | null
  endedAt: number | null
  canaryRequests: number
  canaryErrors: number
  stableRequests: number
  stableErrors: number
  metrics: MetricEvidence[]
}

/** Requests of one method, path and status, canary against stable over the same window. */
export interface RequestRow {
  id: string
  method: string
  /** The path without its query, variable segments shown as `:id`. */
  path: string
  /** HTTP status; 0 is no response at all (reset, timeout). */
  status: number
  canary: number
  stable: number
  /** Share of each side's requests in the window (0..1). */
  canaryShare: number
  stableShare: number
}

export interface RequestBreakdown {
  /** False when the proxy could not say (not running, or too old to count by path). */
  available: boolean
  note: string | null
  canaryRequests: number
  stableRequests: number
  /** Failures the canary has more of first. */
  rows: RequestRow[]
  /** Rows left out to keep the report bounded. */
  omitted: number
}

/** A log template (variable parts masked) and how often each side logged it in the window. */
export interface LogTemplate {
  id: string
  template: string
  canary: number
  stable: number
  /** Never seen in stable's logs at all (not only in the window). */
  newInCanary: boolean
  /** Canary's rate per line over stable's; null when stable has none in the window. */
  ratio: number | null
  /** How unlikely this many canary lines are if both sides logged it alike (one-sided binomial). */
  pValue: number
  /** Up to two lines as logged (canary's first), redacted. */
  samples: string[]
  /** Source files named by stack frames in the samples (for suggested patches). */
  files: string[]
}

export interface LogDiff {
  available: boolean
  note: string | null
  /** Lines were picked by time (both sides over the same window); false: whole logs were read. */
  windowed: boolean
  canaryLines: number
  stableLines: number
  /** New templates first (most lines first), then those the canary logs significantly more. */
  templates: LogTemplate[]
  /** Templates both sides logged alike: not listed. */
  common: number
  omitted: number
}

export const CHANGE_FIELDS = ['command', 'args', 'cwd', 'env', 'image'] as const
export type ChangeField = (typeof CHANGE_FIELDS)[number]

/** One difference between the stable revision's workload and the diagnosed one's. */
export interface ChangeItem {
  id: string
  field: ChangeField
  /** The variable's name, for env. */
  name: string | null
  /** Null when the field or variable was not there. */
  from: string | null
  to: string | null
  /** A secret's value: shown as [REDACTED] on both sides. */
  redacted: boolean
}

export interface RevisionChange {
  available: boolean
  note: string | null
  from: number | null
  to: number
  items: ChangeItem[]
  omitted: number
}

export interface DiagnosisReport {
  schemaVersion: typeof DIAGNOSIS_SCHEMA_VERSION
  rollout: string
  /** The revision diagnosed (the canary or preview). */
  revision: number
  stableRevision: number | null
  trigger: DiagnosisTrigger
  createdAt: number
  /** Both sides are compared over [from, to) in epoch ms: the diagnosed revision's release. */
  window: { from: number; to: number }
  outcome: ReportOutcome | null
  verdicts: VerdictEvidence[]
  requests: RequestBreakdown
  logs: LogDiff
  change: RevisionChange
  /** Secrets replaced by [REDACTED] while building the report. */
  redactions: number
  /** What was cut to keep the report within REPORT_LIMITS, e.g. "logs.samples". */
  truncated: string[]
}

/** Every id an answer may cite, in report order. */
export function evidenceIds(report: DiagnosisReport): string[] {
  return [
    ...report.verdicts.map((v) => v.id),
    ...report.requests.rows.map((r) => r.id),
    ...report.logs.templates.map((t) => t.id),
    ...report.change.items.map((c) => c.id),
  ]
}
