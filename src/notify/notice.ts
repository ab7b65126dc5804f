/**
 * What a notification says, whatever the service: one event of one rollout turned into a title, what
 * happened, the facts a person needs to act (revision, traffic, step, the analysis explanation) and
 * what to do next. The formats in ./formats/ lay it out for Slack, Teams, Discord or plain JSON.
 */
import type { EngineEvent } from '../engine/events.js'
import type { Severity } from '../engine/plan.js'

export interface Notice {
  rollout: string
  /** The notification (spec.notifications[].name) it is sent for. */
  notification: string
  severity: Severity
  reason: EngineEvent['reason']
  /** One line: the rollout, the revision and what happened. */
  title: string
  /** What happened, in the engine's words. */
  text: string
  /** The judge's explanation, when the event carries one (analysis verdicts, rollbacks). */
  explanation: string | null
  /** What a person can do now, when there is something to do. */
  next: string | null
  /** Labelled values, in the order shown. */
  facts: { label: string; value: string }[]
  /** When it happened (epoch ms). */
  at: number
  /** The event itself, for consumers that read data rather than text (the generic webhook). */
  event: EngineEvent
}

const ROLE: Record<'stable' | 'canary' | 'old', string> = {
  stable: 'stable',
  canary: 'new',
  old: 'old',
}

/** The headline of an event: the rollout, the revision and the outcome in a few words. */
function title(rollout: string, e: EngineEvent): string {
  const rev = `revision ${e.revision}`
  switch (e.reason) {
    case 'NewRevision':
      return e.first
        ? `${rollout}: deploying ${rev}`
        : `${rollout}: releasing ${rev} (${e.strategy === 'blueGreen' ? 'blue-green' : e.strategy})`
    case 'Reverted':
      return `${rollout}: back on stable revision ${e.stableRevision}`
    case 'Initialized':
      return `${rollout}: ${rev} is up`
    case 'ProgressDeadlineExceeded':
      return `${rollout}: ${rev} missed its progress deadline${e.rollingBack ? ', rolling back' : ''}`
    case 'WorkloadProblem':
      return `${rollout}: the ${ROLE[e.role]} replicas of ${rev} are not coming up`
    case 'TrafficShifted':
      return `${rollout}: ${rev} at ${e.toWeight}% of traffic`
    case 'StepCompleted':
      return `${rollout}: ${rev} step ${e.stepIndex + 1} done`
    case 'Paused':
      return e.pauseReason === 'Frozen'
        ? `${rollout}: ${rev} frozen at ${e.canaryWeight}% after a failed analysis`
        : `${rollout}: ${rev} paused at ${e.canaryWeight}%`
    case 'PreviewReady':
      return `${rollout}: preview of ${rev} is ready`
    case 'AnalysisStarted':
      return `${rollout}: analysing ${rev} at ${e.canaryWeight}%`
    case 'AnalysisSuccessful':
      return `${rollout}: ${rev} passed its analysis at ${e.canaryWeight}%`
    case 'AnalysisFailed':
      return `${rollout}: ${rev} failed its analysis at ${e.canaryWeight}%`
    case 'AnalysisError':
      return `${rollout}: the analysis of ${rev} could not measure at ${e.canaryWeight}%`
    case 'AnalysisInconclusive':
      return `${rollout}: the analysis of ${rev} is inconclusive at ${e.canaryWeight}%`
    case 'RolledBack':
      return `${rollout}: ${rev} rolled back at ${e.canaryWeight}%`
    case 'Promoted':
      return `${rollout}: ${rev} promoted`
    case 'Command':
      return `${rollout}: ${e.command}${e.full ? ' --full' : ''} requested by ${e.actor}`
    case 'WebhookAnswered':
      return `${rollout}: webhook ${e.webhook.name} (${e.webhook.type}) ${e.passed ? 'said yes' : 'said no'} for ${rev}`
    case 'MonitoringUnavailable':
      return `${rollout}: monitoring unavailable, ${rev} holds at ${e.canaryWeight}%`
    case 'MonitoringRestored':
      return `${rollout}: monitoring back after ${e.unavailableSeconds} s, ${rev} goes on from ${e.canaryWeight}%`
    case 'PromotionReviewed':
      return `${rollout}: the advisor ${e.outcome === 'agree' ? 'agrees with' : e.outcome === 'disagree' ? 'does not agree with' : 'could not review'} promoting ${rev}${e.paused ? ', paused' : ''}`
  }
}

/** What a person can do about the event, as commands of the CLI. */
function next(rollout: string, e: EngineEvent): string | null {
  switch (e.reason) {
    case 'Paused':
      if (e.pauseReason === 'UserPause') return `resume with \`kanari resume ${rollout}\``
      if (e.pauseReason === 'Frozen')
        return `traffic stays where it is until you decide: \`kanari abort ${rollout}\` rolls back, \`kanari promote ${rollout}\` promotes, \`kanari retry ${rollout}\` runs the analysis again`
      if (e.pauseReason === 'Inconclusive')
        return `\`kanari promote ${rollout}\` goes on, \`kanari resume ${rollout}\` analyses again, \`kanari abort ${rollout}\` rolls back`
      return `continue with \`kanari promote ${rollout}\`, or stop with \`kanari abort ${rollout}\``
    case 'PreviewReady':
      return e.previewHeader === null
        ? `promote with \`kanari promote ${rollout}\` when satisfied`
        : `try it with the header \`${e.previewHeader}: true\`; promote with \`kanari promote ${rollout}\``
    case 'RolledBack':
      // A revision that failed on its own would fail again: the evidence first, then a fix.
      return e.cause === 'UserAbort'
        ? `\`kanari retry ${rollout}\` releases revision ${e.revision} again`
        : `users are back on stable; see why with \`kanari diagnose ${rollout} --revision ${e.revision}\`, then apply a fixed revision`
    case 'WorkloadProblem':
      return e.problem.hint
    case 'ProgressDeadlineExceeded':
      return (
        e.problem?.hint ??
        `see \`kanari get rollout ${rollout}\` and \`kanari logs ${rollout} --canary\``
      )
    case 'AnalysisError':
      return `check the metric providers; \`kanari get rollout ${rollout}\` shows each metric's last answer`
    case 'MonitoringUnavailable':
      return `bring ${e.metrics.join(', ')}'s provider back within ${e.graceSeconds} s or the release rolls back; \`kanari abort ${rollout}\` rolls back now`
    default:
      return null
  }
}

function explanationOf(e: EngineEvent): string | null {
  switch (e.reason) {
    case 'AnalysisSuccessful':
    case 'AnalysisFailed':
    case 'AnalysisError':
    case 'AnalysisInconclusive':
    case 'RolledBack':
      return e.explanation === '' ? null : e.explanation
    case 'WorkloadProblem':
      return e.problem.message
    case 'ProgressDeadlineExceeded':
      return e.problem?.message ?? null
    case 'MonitoringUnavailable':
      return e.error
    case 'Paused':
      return e.explanation ?? null
    default:
      return null
  }
}

/** The canary's share of traffic as a person reads it for this event. */
function traffic(e: EngineEvent): string {
  if (e.reason === 'Promoted') return `revision ${e.revision} 100% (promoted)`
  if (e.reason === 'RolledBack') return `0% (was ${e.canaryWeight}% when rolled back)`
  if (e.reason === 'TrafficShifted') return `${e.toWeight}% (was ${e.fromWeight}%)`
  return `${e.canaryWeight}%`
}

export function noticeOf(rollout: string, notification: string, e: EngineEvent): Notice {
  const facts = [
    { label: 'Rollout', value: rollout },
    { label: 'Revision', value: String(e.revision) },
    { label: 'Canary traffic', value: traffic(e) },
    { label: 'Step', value: String(e.stepIndex + 1) },
    { label: 'Event', value: `${e.reason} (${e.severity})` },
  ]
  if (e.reason === 'RolledBack') facts.push({ label: 'Cause', value: e.cause })
  if (e.reason === 'Promoted' && e.previousStable !== null)
    facts.push({ label: 'Previous stable', value: String(e.previousStable) })
  return {
    rollout,
    notification,
    severity: e.severity,
    reason: e.reason,
    title: title(rollout, e),
    text: e.message,
    explanation: explanationOf(e),
    next: next(rollout, e),
    facts,
    at: e.at,
    event: e,
  }
}
