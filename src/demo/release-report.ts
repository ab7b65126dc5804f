/**
 * What the demo concludes about one release: its outcome, the weight it was decided at, how long it
 * took and whether that is what the release was meant to show. Read from the rollout's status and
 * its process table, never from event messages.
 */
import type { RolloutStatus } from '../engine/status.js'
import type { ProcessRow } from '../report/process-table.js'
import type { AdvisorRecord } from '../diagnosis/advice.js'
import type { DemoRelease } from './demo-spec.js'

/** A rolled-back release's evidence, in brief: its first log template and request row, the advisor. */
export interface ReleaseDiagnosis {
  revision: number
  firstTemplate: { template: string; newInCanary: boolean; canary: number; stable: number } | null
  firstRequest: {
    method: string
    path: string
    status: number
    canary: number
    stable: number
  } | null
  /** What the advisor said, when one was configured (it never decides). */
  advisor: AdvisorRecord | null
}

export interface ReleaseReport {
  version: string
  color: string
  story: string
  revision: number
  expected: DemoRelease['expect']
  outcome: 'Promoted' | 'RolledBack' | 'Timeout'
  decidedAtWeight: number
  reason: string
  decisionSeconds: number
  /** User requests that failed because they reached this version. */
  failedRequests: number
  /** User requests this version answered. */
  requests: number
  ok: boolean
  processTable: ProcessRow[]
  /** Rolled-back releases: the evidence report the daemon stored, in brief. */
  diagnosis?: ReleaseDiagnosis | null
}

export function releaseReport(
  release: DemoRelease,
  revision: number,
  view: { status: RolloutStatus; processTable: ProcessRow[] },
  tally: { requests: number; failed: number },
  startedAt: number,
  now: number,
): ReleaseReport {
  const status = view.status
  const outcome = status.lastOutcome?.revision === revision ? status.lastOutcome : null
  const decidedAtWeight = outcome?.canaryWeight ?? status.traffic.canaryWeight
  const result = outcome?.result ?? 'Timeout'
  return {
    version: release.version,
    color: release.color,
    story: release.story,
    revision,
    expected: release.expect,
    outcome: result,
    decidedAtWeight,
    reason: outcome?.reason ?? status.message,
    decisionSeconds:
      outcome === null ? (now - startedAt) / 1000 : Math.round((outcome.at - startedAt) / 100) / 10,
    failedRequests: tally.failed,
    requests: tally.requests,
    ok:
      result === release.expect.outcome &&
      (release.expect.atWeight === undefined || decidedAtWeight === release.expect.atWeight),
    processTable: view.processTable,
  }
}
