/**
 * The engine: `reconcile(plan, status, observations, now) → { status, actions }`. Pure — no I/O, no
 * timers, no clock. The driver persists the returned status, then carries out the actions. Running
 * it again with the returned status and the same observations yields no new actions.
 */
import type { RolloutPlan } from './plan.js'
import { sameTraffic, type Phase, type RolloutStatus } from './status.js'
import { progressBlueGreen, startBlueGreen } from './strategies/blue-green.js'
import { progressCanary, startCanary } from './strategies/canary.js'
import { progressRolling, startRolling } from './strategies/rolling.js'
import { Tick } from './tick.js'
import type { EngineAction, Observations, ReconcileResult } from './types.js'
import { endRuns, foldMeasurements, requestMeasurements } from './analysis-runs.js'
import { foldWebhookAnswers } from './webhook-answers.js'
import { callEventHooks } from './webhook-event-hooks.js'
import { passGate } from './webhook-gates.js'
import { callPeriodicHooks, resetWebhooks } from './webhook-lifecycle.js'
import { endMonitoringHold, reportMonitoringHold } from './monitoring-hold.js'
import { reportWorkloadProblems, waitingCause } from './workload-problems.js'

export function reconcile(
  plan: RolloutPlan,
  prev: RolloutStatus,
  obs: Observations,
  now: number,
): ReconcileResult {
  const t = new Tick(plan, structuredClone(prev), obs, now)
  handleRevision(t)
  foldMeasurements(t)
  foldWebhookAnswers(t)
  reportWorkloadProblems(t)
  reportMonitoringHold(t)
  progress(t)
  endMonitoringHold(t)
  callPeriodicHooks(t)
  applyScheduledScaleDowns(t)
  requestMeasurements(t)
  const events = t.events.flatMap((a) => (a.type === 'event' ? [a.event] : []))
  const eventCalls = callEventHooks(plan, t.status, events, now)
  return {
    status: t.status,
    actions: [
      ...diffActions(prev, t.status),
      ...t.events,
      ...t.measures,
      ...t.calls,
      ...eventCalls,
    ],
  }
}

/**
 * (Re)starts the release of the current canary revision: used for a new revision and for retry.
 * With confirm-rollout webhooks the strategy begins once they all answered yes.
 */
export function startStrategy(t: Tick): void {
  const s = t.status
  s.rolloutStartedAt = t.now
  s.stepStartedAt = t.now
  s.pause = null
  s.abort = null
  s.promoteFull = false
  s.deadlineReported = false
  s.blueGreenStage = null
  s.currentStepIndex = 0
  s.analyses.step = null
  s.analyses.background = null
  s.traffic = Tick.stableOnly(s.stableRevision, s.canaryRevision)
  resetWebhooks(t)
  if (s.webhooks?.rolloutConfirmed !== false) beginStrategy(t)
  else {
    // Nothing of the revision runs before confirm-rollout says yes: replicas left from a run that
    // was rolled back (kept for abortScaleDownDelaySeconds) go now that it waits again.
    if (s.canaryRevision !== null && s.canaryRevision !== s.stableRevision)
      t.setReplicas(s.canaryRevision, 0)
    s.message = `revision ${s.canaryRevision ?? '?'} waits for its confirm-rollout webhooks`
  }
}

/** The strategy's own start: the canary (or preview) scaled up, analyses started. */
function beginStrategy(t: Tick): void {
  const strategy = t.plan.strategy
  if (strategy.kind === 'canary') startCanary(t)
  else if (strategy.kind === 'blueGreen') startBlueGreen(t, strategy)
  else startRolling(t)
}

function handleRevision(t: Tick): void {
  const { plan, status: s } = t
  if (plan.revision === s.revision) return
  const previousCanary = s.canaryRevision
  s.revision = plan.revision

  if (s.stableRevision === null || s.phase === 'Initializing') {
    // First deploy, or a newer template replacing a first deploy that never became ready.
    if (s.stableRevision !== null && s.stableRevision !== plan.revision)
      t.setReplicas(s.stableRevision, 0)
    s.stableRevision = plan.revision
    s.canaryRevision = null
    s.rolloutStartedAt = t.now
    s.stepStartedAt = t.now
    s.deadlineReported = false
    s.traffic = Tick.stableOnly(plan.revision)
    t.setReplicas(plan.revision, plan.replicas)
    t.transition('FirstRevision', `deploying revision ${plan.revision} (${plan.replicas} replicas)`)
    t.emit(
      'info',
      {
        reason: 'NewRevision',
        first: true,
        strategy: plan.strategy.kind,
        stableRevision: null,
      },
      `revision ${plan.revision} is the first; deploying it without steps`,
    )
    return
  }

  if (previousCanary !== null && previousCanary !== plan.revision) {
    endRuns(t, `replaced by revision ${plan.revision}`)
    t.setReplicas(previousCanary, 0)
  }

  if (plan.revision === s.stableRevision) {
    // The spec went back to the stable template: drop the canary at once, no steps needed.
    s.canaryRevision = null
    s.pause = null
    s.abort = null
    s.promoteFull = false
    s.blueGreenStage = null
    s.traffic = Tick.stableOnly(s.stableRevision)
    t.setReplicas(s.stableRevision, plan.replicas)
    t.transition('Reverted', `back on stable revision ${s.stableRevision}`)
    t.emit(
      'info',
      { reason: 'Reverted', stableRevision: s.stableRevision, droppedCanary: previousCanary },
      `the spec matches stable revision ${s.stableRevision}; canary ${previousCanary ?? 'none'} dropped`,
    )
    return
  }

  s.canaryRevision = plan.revision
  t.transition('NewRevision', `rolling out revision ${plan.revision} (${plan.strategy.kind})`)
  startStrategy(t)
  t.emit(
    'info',
    {
      reason: 'NewRevision',
      first: false,
      strategy: plan.strategy.kind,
      stableRevision: s.stableRevision,
    },
    `revision ${plan.revision} detected; starting ${plan.strategy.kind} rollout from stable revision ${s.stableRevision}`,
  )
}

function progress(t: Tick): void {
  const { plan, status: s } = t
  switch (s.phase) {
    case 'Initializing': {
      if (s.stableRevision === null) return
      t.setReplicas(s.stableRevision, plan.replicas)
      const version = t.version(s.stableRevision)
      const ready = version.ready
      if (ready >= plan.replicas) {
        t.transition(
          'Ready',
          `revision ${s.stableRevision} is serving (${ready}/${plan.replicas} ready)`,
        )
        t.emit(
          'info',
          { reason: 'Initialized', readyReplicas: ready },
          `revision ${s.stableRevision} ready with ${ready} replicas`,
        )
        return
      }
      const cause = waitingCause(t, s.stableRevision)
      s.message = `deploying revision ${s.stableRevision} (${ready}/${plan.replicas} ready)${cause}`
      if (!s.deadlineReported && t.now - s.stepStartedAt > plan.progressDeadlineSeconds * 1000) {
        s.deadlineReported = true
        t.emit(
          'error',
          {
            reason: 'ProgressDeadlineExceeded',
            deadlineSeconds: plan.progressDeadlineSeconds,
            rollingBack: false,
            problem: version.problem ?? null,
          },
          `revision ${s.stableRevision} not ready after ${plan.progressDeadlineSeconds}s (${ready}/${plan.replicas} ready)${cause}${version.problem === undefined ? '' : `; ${version.problem.hint}`}`,
        )
      }
      return
    }
    case 'Healthy':
    case 'RolledBack':
      if (s.stableRevision !== null) t.setReplicas(s.stableRevision, plan.replicas)
      return
    case 'Progressing':
    case 'Paused':
    case 'Promoting': {
      if (!rolloutConfirmed(t)) return
      const strategy = plan.strategy
      if (strategy.kind === 'canary') progressCanary(t, strategy)
      else if (strategy.kind === 'blueGreen') progressBlueGreen(t, strategy)
      else progressRolling(t, strategy)
      if (
        s.stableRevision !== null &&
        strategy.kind !== 'rolling' &&
        (s.phase as Phase) !== 'Healthy'
      ) {
        // Stable keeps its full size until a promotion completes.
        t.setReplicas(s.stableRevision, plan.replicas)
      }
      return
    }
  }
}

/**
 * confirm-rollout: the new revision is not started until every such webhook answered yes; rollback
 * webhooks, aborts and pauses work meanwhile. `promote --full` goes past it.
 */
function rolloutConfirmed(t: Tick): boolean {
  const w = t.status.webhooks
  if (w === undefined || w.rolloutConfirmed) return true
  if (!t.status.promoteFull) {
    if (t.holds(0, 0)) return false
    if (!passGate(t, 'confirm-rollout', `starting revision ${t.status.canaryRevision ?? '?'}`))
      return false
  }
  w.rolloutConfirmed = true
  beginStrategy(t)
  t.status.stepStartedAt = t.now
  return true
}

function applyScheduledScaleDowns(t: Tick): void {
  for (const [revision, at] of Object.entries(t.status.scaleDownAt)) {
    if (at <= t.now) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete t.status.scaleDownAt[revision]
      const rev = Number(revision)
      if (rev !== t.status.stableRevision && rev !== t.status.canaryRevision) t.setReplicas(rev, 0)
      else if (rev === t.status.canaryRevision && t.status.phase === 'RolledBack')
        t.setReplicas(rev, 0)
    }
  }
}

/** Actions that bring the world from `prev`'s desired state to `next`'s: scale up, route, scale down. */
function diffActions(prev: RolloutStatus, next: RolloutStatus): EngineAction[] {
  const { ups, downs } = scaleDiff(prev, next)
  const traffic: EngineAction[] = sameTraffic(prev.traffic, next.traffic)
    ? []
    : [{ type: 'setTraffic', traffic: structuredClone(next.traffic) }]
  return [...ups, ...traffic, ...downs]
}

/** Scale actions from `prev`'s wanted replicas to `next`'s, in revision order: scale-ups, scale-downs. */
export function scaleDiff(
  prev: RolloutStatus,
  next: RolloutStatus,
): { ups: EngineAction[]; downs: EngineAction[] } {
  const ups: EngineAction[] = []
  const downs: EngineAction[] = []
  const keys = new Set([...Object.keys(prev.replicas), ...Object.keys(next.replicas)])
  for (const key of [...keys].sort((a, b) => Number(a) - Number(b))) {
    const before = prev.replicas[key] ?? 0
    const after = next.replicas[key] ?? 0
    if (before === after) continue
    const action: EngineAction = { type: 'scale', revision: Number(key), replicas: after }
    if (after > before) ups.push(action)
    else downs.push(action)
  }
  return { ups, downs }
}
