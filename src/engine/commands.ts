/**
 * User commands — promote, abort, retry, pause, resume — as pure changes to the status, checked
 * against the transition table. The next reconcile carries out what they ask. Undo is a new
 * revision with an old template, so it lives with the driver, not here.
 */
import { ConflictError } from '../errors.js'
import type { RolloutPlan } from './plan.js'
import { startStrategy } from './reconcile.js'
import { isFrozen, isInFlight, type RolloutStatus } from './status.js'
import { approvePreview } from './strategies/blue-green.js'
import { Tick } from './tick.js'
import { phasesAccepting } from './transitions.js'
import { noObservations } from './types.js'
import { endRuns, startRun } from './analysis-runs.js'
import { approveGate } from './webhook-gates.js'

export type RolloutCommand =
  | { type: 'promote'; full?: boolean }
  | { type: 'abort'; reason?: string }
  | { type: 'retry' }
  | { type: 'pause' }
  | { type: 'resume' }

function refuse(plan: RolloutPlan, s: RolloutStatus, what: string, hint: string): never {
  throw new ConflictError(
    `cannot ${what} rollout ${plan.name}: it is ${s.phase}${s.pause ? ` (${s.pause.reason})` : ''} — ${s.message}`,
    { hint },
  )
}

export function applyCommand(
  plan: RolloutPlan,
  prev: RolloutStatus,
  command: RolloutCommand,
  now: number,
): RolloutStatus {
  const t = new Tick(plan, structuredClone(prev), noObservations(), now)
  const s = t.status
  const inFlight = isInFlight(s.phase)
  switch (command.type) {
    case 'promote': {
      if (!inFlight || s.canaryRevision === null) {
        refuse(
          plan,
          s,
          'promote',
          s.phase === 'RolledBack'
            ? '`retry` restarts the rolled-back revision; apply a new revision to roll out something else'
            : 'nothing is being rolled out; apply a new revision first',
        )
      }
      if (command.full === true || isFrozen(s)) {
        // A frozen release is promoted whole: its failed analysis is overruled, not re-run.
        if (isFrozen(s)) dropFailedRuns(t, 'promoted by user while frozen')
        s.promoteFull = true
        s.userPaused = false
        if (s.phase !== 'Promoting') t.transition('PromoteFull', 'promoting at once (--full)')
        s.stepStartedAt = now
        return s
      }
      if (s.phase === 'Paused' && s.pause?.reason === 'UserPause') {
        refuse(
          plan,
          s,
          'promote',
          `it was paused by a user; \`kanari resume ${plan.name}\` first, or \`promote --full\``,
        )
      }
      if (s.phase === 'Promoting') refuse(plan, s, 'promote', 'it is already promoting')
      // At a closed gate, promote is the approval the gate waits for.
      if (s.phase === 'Paused' && s.pause?.reason === 'Gate') approveGate(t)
      else skipCurrentStep(t)
      return s
    }
    case 'abort': {
      if (!inFlight) refuse(plan, s, 'abort', 'only a rollout in progress can be aborted')
      s.abort = { reason: command.reason ?? 'aborted by user', at: now, cause: 'UserAbort' }
      return s
    }
    case 'retry': {
      if (isFrozen(s)) {
        retryFrozen(t)
        return s
      }
      if (
        s.phase !== 'RolledBack' ||
        s.canaryRevision === null ||
        s.canaryRevision === s.stableRevision
      ) {
        refuse(
          plan,
          s,
          'retry',
          `retry restarts a rolled-back revision (allowed in ${phasesAccepting('Retry').join(', ')}), or runs a frozen release's analysis again`,
        )
      }
      t.transition('Retry', `retrying revision ${String(s.canaryRevision)} from the first step`)
      startStrategy(t)
      t.status.userPaused = false
      return s
    }
    case 'pause': {
      if (
        s.phase !== 'Progressing' &&
        s.phase !== 'Promoting' &&
        !(s.phase === 'Paused' && s.pause?.reason !== 'UserPause')
      ) {
        refuse(plan, s, 'pause', 'only a rollout in progress can be paused')
      }
      if (s.userPaused) refuse(plan, s, 'pause', 'it is already paused by a user')
      s.userPaused = true
      return s
    }
    case 'resume': {
      if (s.phase !== 'Paused' && !s.userPaused)
        refuse(plan, s, 'resume', 'only a paused rollout can be resumed')
      if (plan.paused)
        refuse(plan, s, 'resume', 'spec.paused is true; set it to false and apply the spec')
      const wasUserPause = s.pause?.reason === 'UserPause' || s.userPaused
      s.userPaused = false
      if (s.phase !== 'Paused') return s
      if (!wasUserPause && isFrozen(s))
        refuse(
          plan,
          s,
          'resume',
          `a failed analysis froze it; \`kanari retry ${plan.name}\` runs the analysis again, \`kanari promote ${plan.name}\` promotes, \`kanari abort ${plan.name}\` rolls back`,
        )
      if (!wasUserPause && s.pause?.reason === 'Gate')
        refuse(
          plan,
          s,
          'resume',
          `it waits for its ${s.pause.gate ?? 'confirm'} webhooks to answer yes (asked every ${plan.webhookIntervalSeconds}s); open the gate, or \`kanari promote ${plan.name}\` to approve it`,
        )
      if (wasUserPause) {
        t.transition('Resume', 'resumed')
      } else if (s.pause?.reason === 'Inconclusive') {
        // Re-run the inconclusive analysis: drop the finished run so the step starts a fresh one.
        s.analyses.step = null
        if (s.analyses.background?.phase === 'Inconclusive' && plan.analysis !== undefined) {
          s.analyses.background = startRun(t, plan.analysis)
        }
        t.transition('Resume', 're-running analysis')
      } else {
        skipCurrentStep(t)
      }
      return s
    }
  }
}

/** `promote` without --full: the current step (a pause, an analysis, a waiting preview) is done. */
function skipCurrentStep(t: Tick): void {
  const s = t.status
  if (s.pause?.reason === 'AdvisorDisagreed') {
    // The steps are done; the person overrules the advisor and the promotion goes on.
    t.transition('Promote', 'promoted by user over the advisor; promoting')
    return
  }
  if (t.plan.strategy.kind === 'blueGreen') {
    approvePreview(t, 'promoted by user')
    if (s.analyses.step?.phase === 'Running') endRuns(t, 'promoted by user')
  } else {
    if (s.analyses.step?.phase === 'Running' || s.pause?.reason === 'Inconclusive')
      endRuns(t, 'promoted by user')
    t.completeStep({ kind: 'skippedByUser' }, 'promoted by user')
  }
  if (s.phase === 'Paused') t.transition('Promote', 'promoted by user; continuing')
  else s.message = 'promoted by user; continuing'
}

/** Failed (and stopped) runs of a frozen release go, so they neither freeze nor pause it again. */
function dropFailedRuns(t: Tick, reason: string): void {
  endRuns(t, reason)
  const { analyses } = t.status
  if (analyses.step !== null && analyses.step.phase !== 'Successful') analyses.step = null
  if (analyses.background !== null && analyses.background.phase !== 'Successful')
    analyses.background = null
}

/**
 * `retry` of a frozen release: the analysis that failed runs again from the current step (a canary
 * analysis step, a blue-green preview's), the background analysis starts over, and the checks of
 * the release's webhooks are asked again; the weights stay where they were.
 */
function retryFrozen(t: Tick): void {
  const s = t.status
  dropFailedRuns(t, 'retried')
  if (t.plan.analysis !== undefined) s.analyses.background = startRun(t, t.plan.analysis)
  s.stepStartedAt = t.now
  s.deadlineReported = false
  s.userPaused = false
  t.transition('RetryAnalysis', `retrying the analysis at step ${s.currentStepIndex + 1}`)
}
