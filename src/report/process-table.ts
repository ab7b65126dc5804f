/**
 * The process table of a release — one row per thing that happened (deploy, widen, monitor, promote
 * or roll back) with the canary's share of users and what monitoring said — built from the engine's
 * events. `kanari simulate`, `kanari get` and the demo print it.
 */
import type { EngineEvent, RollbackCause } from '../engine/events.js'
import { describeMatch } from '../engine/plan.js'
import { layoutTable } from './text-table.js'
import { wrapClauses } from './wrap.js'

export interface ProcessRow {
  step: number
  /** Seconds since the release started. */
  atSeconds: number
  action: string
  versionState: string
  /** Percent of users on the new version. */
  canaryPercent: number
  monitoring: string
  /** Who reaches the new version when it is not a share of all users (header routes, mirrors, preview). */
  userGroup?: string
  /** The analysis explanation behind the monitoring result, when there is one. */
  detail: string
  next: string
}

/** What monitoring said when a release was rolled back, from the rollback's cause and the last verdict. */
function rollbackMonitoring(
  cause: RollbackCause,
  lastVerdict: EngineEvent['reason'] | null,
): string {
  switch (cause) {
    case 'UserAbort':
      return 'Aborted by user'
    case 'CrashLoop':
      return 'Canary crashing'
    case 'ProgressDeadline':
      return 'Canary not ready in time'
    case 'WebhookFailed':
    case 'WebhookRollback':
      return 'Webhook said roll back'
    case 'AnalysisFailed':
    case 'BackgroundAnalysisFailed':
      // A run that ended in error measured nothing it could judge: no issue was seen.
      return lastVerdict === 'AnalysisError'
        ? 'Monitoring unavailable'
        : lastVerdict === 'AnalysisInconclusive'
          ? 'Inconclusive'
          : 'Issues detected'
  }
}

/** The row a user's `kanari promote` reads as: the command, not a monitoring result. */
function promoteAction(full: boolean, actor: string): string {
  const who = actor === 'simulate' ? 'simulated user' : actor
  return full ? `Promote fully (by ${who})` : `Skip step (by ${who})`
}

/**
 * Builds the rows from one release's events (from its NewRevision event to its outcome). It reads
 * reasons and data only; messages are copied into the detail column, never parsed.
 */
export function processTable(events: EngineEvent[]): ProcessRow[] {
  const rows: ProcessRow[] = []
  const start = events[0]?.at ?? 0
  let weight = 0
  let monitored = false
  let lastAnalysis = ''
  let lastVerdict: EngineEvent['reason'] | null = null
  let ended = false
  /** Who reaches the canary while its weight is 0 (header-matched users, a mirrored copy). */
  const groups: string[] = []
  const push = (e: EngineEvent, r: Omit<ProcessRow, 'step' | 'atSeconds'>): void => {
    const group = r.canaryPercent === 0 && groups.length > 0 ? groups.join(' + ') : undefined
    rows.push({
      step: rows.length + 1,
      atSeconds: Math.round((e.at - start) / 100) / 10,
      ...r,
      ...(group === undefined || r.versionState === 'Stable version restored'
        ? {}
        : { userGroup: group }),
    })
  }
  const routed = (e: EngineEvent, action: string, group: string): void => {
    groups.push(group)
    monitored = false
    push(e, {
      action,
      versionState: 'Canary running',
      canaryPercent: weight,
      monitoring: 'Pending',
      detail: '',
      next: 'Monitor metrics',
    })
  }
  const closeMonitoring = (e: EngineEvent, next: string): void => {
    if (monitored || weight === 0) return
    push(e, {
      action: 'Monitor metrics',
      versionState: 'Canary running',
      canaryPercent: weight,
      monitoring: 'No issues',
      detail: lastAnalysis,
      next,
    })
    monitored = true
  }
  for (const e of events) {
    if (ended) break
    switch (e.reason) {
      case 'NewRevision':
        push(e, {
          action: 'Deploy new version',
          versionState: 'Canary deployed',
          canaryPercent: 0,
          monitoring: 'Pending',
          detail: e.message,
          next: 'Shift traffic',
        })
        break
      case 'TrafficShifted': {
        if (e.canaryWeight <= weight) {
          weight = e.canaryWeight
          break
        }
        closeMonitoring(e, 'Increase user group')
        const first = weight === 0
        weight = e.canaryWeight
        monitored = false
        push(e, {
          action: first ? 'Send users to canary' : 'Increase user group',
          versionState: 'Canary running',
          canaryPercent: weight,
          monitoring: 'Pending',
          detail: '',
          next: 'Monitor metrics',
        })
        break
      }
      case 'StepCompleted': {
        const step = e.step
        if (step.kind === 'setHeaderRoute' && step.match.length > 0)
          routed(
            e,
            'Route matching users to canary',
            `users with ${step.match.map(describeMatch).join(' or ')}`,
          )
        else if (step.kind === 'setMirrorRoute' && step.percentage > 0)
          routed(e, 'Mirror traffic to canary', `copy of ${step.percentage}% (answers discarded)`)
        break
      }
      case 'PreviewReady': {
        const reach: string[] = []
        if (e.previewHeader !== null) reach.push('opt-in by header')
        if (e.mirrorPercentage !== null)
          reach.push(`copy of ${e.mirrorPercentage}% (answers discarded)`)
        groups.push(...reach)
        push(e, {
          action: 'Open preview',
          versionState: 'Preview running',
          canaryPercent: 0,
          monitoring: 'Pending',
          detail: '',
          next: 'Monitor metrics',
        })
        break
      }
      case 'AnalysisSuccessful': {
        lastAnalysis = e.explanation
        lastVerdict = e.reason
        if (e.run.kind === 'background') break
        push(e, {
          action: 'Monitor metrics',
          versionState: 'Canary running',
          canaryPercent: weight,
          monitoring: 'No issues',
          detail: lastAnalysis,
          next: 'Increase user group',
        })
        monitored = true
        break
      }
      case 'AnalysisFailed':
      case 'AnalysisError':
      case 'AnalysisInconclusive':
        lastAnalysis = e.explanation
        lastVerdict = e.reason
        break
      case 'Command':
        if (e.command !== 'promote') break
        // Skipping a step is not a monitoring result: the row says who skipped it.
        push(e, {
          action: promoteAction(e.full, e.actor),
          versionState: 'Canary running',
          canaryPercent: weight,
          monitoring: 'Skipped',
          detail: '',
          next: e.full ? 'Promote canary' : 'Next step',
        })
        monitored = true
        break
      case 'Paused':
        push(e, {
          action: 'Pause',
          versionState: 'Canary running',
          canaryPercent: weight,
          monitoring: 'Waiting',
          detail: e.message,
          next: 'Promote or abort',
        })
        break
      case 'RolledBack': {
        push(e, {
          action: 'Monitor metrics',
          versionState: 'Canary running',
          canaryPercent: e.canaryWeight,
          monitoring: rollbackMonitoring(e.cause, lastVerdict),
          detail: e.explanation,
          next: 'Rollback canary',
        })
        push(e, {
          action: 'Rollback canary',
          versionState: 'Stable version restored',
          canaryPercent: 0,
          monitoring: 'N/A',
          detail: '',
          next: 'End deployment',
        })
        ended = true
        break
      }
      case 'Promoted':
        closeMonitoring(e, 'Promote canary')
        push(e, {
          action: 'Promote canary',
          versionState: 'New version is stable',
          canaryPercent: 100,
          monitoring: 'N/A',
          detail: '',
          next: 'End deployment',
        })
        ended = true
        break
      case 'Reverted':
        push(e, {
          action: 'Revert to stable',
          versionState: 'Stable version restored',
          canaryPercent: 0,
          monitoring: 'N/A',
          detail: e.message,
          next: 'End deployment',
        })
        ended = true
        break
    }
  }
  return rows
}

const HEADERS = [
  'Step',
  'Time',
  'Action',
  'Version state',
  'User group size',
  'Monitoring result',
  'Next step',
]
/** Every column of words may wrap (at spaces, never in a word); step and time never do. */
const WRAPPING_COLUMNS = [2, 3, 4, 5, 6]

/**
 * The table in `width` columns (default 120): long cells wrap at spaces, and each row's detail (the
 * analysis verdict, or what happened) goes on the lines below it, from the Action column, broken
 * between the verdict's clauses so none is cut — least of all where its p-value is. `detailWidth`
 * narrows the detail further.
 */
export function renderProcessTable(
  rows: ProcessRow[],
  options: { width?: number; detailWidth?: number } = {},
): string {
  const width = options.width ?? 120
  const table = layoutTable(
    HEADERS,
    rows.map((r) => [
      String(r.step),
      `${r.atSeconds}s`,
      r.action,
      r.versionState,
      r.versionState === 'Stable version restored'
        ? 'all users on stable'
        : (r.userGroup ?? `${r.canaryPercent}% users`),
      r.monitoring,
      r.next,
    ]),
    { width, wrap: WRAPPING_COLUMNS },
  )
  const indent = (table.header.split('\n')[0] ?? '').indexOf(HEADERS[2] ?? '')
  const detailWidth = Math.max(20, Math.min(options.detailWidth ?? width, width - indent))
  const lines = [table.header]
  table.rows.forEach((rowLines, i) => {
    lines.push(...rowLines)
    const detail = rows[i]?.detail ?? ''
    if (detail !== '')
      lines.push(...wrapClauses(detail, detailWidth).map((l) => `${' '.repeat(indent)}${l}`))
  })
  return lines.join('\n') + '\n'
}
