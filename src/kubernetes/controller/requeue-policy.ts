/**
 * When to look at a Rollout again, as a pure function of its status and plan. At the tick rate
 * only while time itself moves the rollout: analysis measuring, a timed pause, a blue-green preview
 * promoting itself after a delay, a scale-down due. Waiting for replicas (or for the primary to
 * take over) is woken by the informers when pods change, so a slower look (5 ticks) only guards
 * the progress deadline. Waiting for a person, or settled: the resync rate — any change to the
 * Rollout wakes it at once.
 */
import type { RolloutPlan } from '../../engine/plan.js'
import type { RolloutStatus } from '../../engine/status.js'

export interface RequeueInput {
  status: RolloutStatus
  plan: RolloutPlan
  now: number
  tickMs: number
  resyncMs: number
  /** The target still runs replicas it should not (see `targetPending`). */
  targetPending: boolean
}

export function nextLookMs(input: RequeueInput): number {
  const { status: s, plan, now, tickMs, resyncMs } = input
  const analysing =
    s.analyses.background?.phase === 'Running' || s.analyses.step?.phase === 'Running'
  const step = plan.strategy.kind === 'canary' ? plan.strategy.steps[s.currentStepIndex] : undefined
  const timedPause =
    s.phase === 'Progressing' && step?.kind === 'pause' && step.durationSeconds !== undefined
  const autoPromoting =
    plan.strategy.kind === 'blueGreen' &&
    plan.strategy.autoPromotionSeconds !== undefined &&
    s.readySince !== null
  const settled = (s.phase === 'Healthy' || s.phase === 'RolledBack') && !input.targetPending
  let next: number
  if (analysing || timedPause || autoPromoting) next = tickMs
  else if (settled || s.phase === 'Paused') next = resyncMs
  else next = Math.min(resyncMs, 5 * tickMs)
  for (const at of Object.values(s.scaleDownAt)) next = Math.min(next, Math.max(0, at - now) + 50)
  return next
}

/**
 * The target still runs replicas it should not: it is not the canary, has replicas, and the
 * primary does not yet serve stable with stable's traffic routed to it.
 */
export function targetPending(input: {
  status: RolloutStatus
  targetRevision: number
  targetReplicas: number
  stableOnServingPrimary: boolean
}): boolean {
  return (
    input.targetRevision !== input.status.canaryRevision &&
    input.targetReplicas > 0 &&
    !input.stableOnServingPrimary
  )
}
