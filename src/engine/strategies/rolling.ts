/**
 * Rolling update: replace replicas of the old revision with the new within maxSurge / maxUnavailable.
 * Traffic follows the ready replicas (the replica-ratio a plain Service gives). A failed background
 * analysis scales the old revision back up and the new one down.
 */
import type { RollingPlan } from '../plan.js'
import type { Tick } from '../tick.js'
import { startRun } from '../analysis-runs.js'
import { beforeFirstTraffic } from '../webhook-gates.js'
import { rolloutHooksHold } from '../webhook-lifecycle.js'
import { waitingCause } from '../workload-problems.js'

export function startRolling(t: Tick): void {
  const s = t.status
  s.currentStepIndex = 0
  s.stepStartedAt = t.now
  s.analyses.step = null
  s.analyses.background = t.plan.analysis === undefined ? null : startRun(t, t.plan.analysis)
  if (s.canaryRevision !== null) t.setReplicas(s.canaryRevision, 0)
}

export function progressRolling(t: Tick, strategy: RollingPlan): void {
  const s = t.status
  if (!t.inFlight() || t.holds(0, 0)) return
  const neu = s.canaryRevision
  const old = s.stableRevision
  if (neu === null || old === null) return
  // pre-rollout webhooks before the first new replica (it gets traffic once ready); a failed
  // rollout webhook holds the replacement where it is.
  if (!s.promoteFull && !beforeFirstTraffic(t)) return
  const hold = s.promoteFull ? null : rolloutHooksHold(t)
  if (hold !== null) {
    s.message = hold
    return
  }
  const replicas = t.plan.replicas
  const surge = s.promoteFull ? replicas : strategy.maxSurge
  const unavailable = s.promoteFull ? replicas : strategy.maxUnavailable
  let oldDesired = s.replicas[String(old)] ?? 0
  let newDesired = s.replicas[String(neu)] ?? 0
  const oldReady = Math.min(t.version(old).ready, oldDesired)
  const newReady = Math.min(t.version(neu).ready, newDesired)

  newDesired = Math.min(replicas, Math.max(newDesired, replicas + surge - oldDesired))
  const removable = Math.max(0, oldReady + newReady - (replicas - unavailable))
  oldDesired = Math.max(0, oldDesired - Math.min(removable, oldDesired))
  t.setReplicas(neu, newDesired)
  t.setReplicas(old, oldDesired)

  const serving = newReady + Math.min(oldReady, oldDesired)
  if (serving > 0) t.setCanaryWeight(Math.round((100 * newReady) / serving))
  if (newReady >= replicas && oldDesired === 0) {
    if (s.phase === 'Progressing') t.transition('StepsCompleted', 'all replicas replaced')
    t.finishPromotion(0)
    return
  }
  s.message = `rolling: ${newReady}/${replicas} new ready, ${oldDesired} old left${waitingCause(t, neu)}`
}
