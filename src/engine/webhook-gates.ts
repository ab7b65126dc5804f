/**
 * Webhook gates. confirm-rollout, confirm-traffic-increase, confirm-promotion: the release waits
 * (Paused, reason Gate) until every webhook of the type answered 2xx; a closed one is asked again
 * each interval. An answer counts for its checkpoint: the release, or the step whose weight it
 * raises. pre-rollout: asked before any traffic moves to the new revision, again each interval
 * until it passes; every failed call is a failed check, and the threshold rolls back.
 */
import type { Tick } from './tick.js'
import type { WebhookPlan, WebhookType } from './plan.js'
import type { WebhookCheck } from './webhook-types.js'
import { callIfDue, checkOf, hooksOf, webhookState } from './webhook-checks.js'

/** Gates: the release waits while one answers no. */
export const GATES: readonly WebhookType[] = [
  'confirm-rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
]

type GateState = 'open' | 'asking' | 'closed'

/** The webhooks of `type` at a checkpoint: open once each answered 2xx. */
function gate(
  t: Tick,
  type: WebhookType,
  stepIndex: number | null,
): { state: GateState; hooks: WebhookPlan[]; closed: WebhookCheck[] } {
  const hooks = hooksOf(t.plan, type)
  const checks = hooks.map((hook) => {
    const check = checkOf(t, hook, stepIndex)
    if (check.passed !== true) callIfDue(t, check, hook)
    return check
  })
  const closed = checks.filter((c) => c.passed === false)
  const state: GateState = checks.every((c) => c.passed === true)
    ? 'open'
    : closed.length > 0
      ? 'closed'
      : 'asking'
  return { state, hooks, closed }
}

function names(hooks: { name: string }[]): string {
  return hooks.map((h) => `"${h.name}"`).join(', ')
}

/** The checkpoint of a gate: confirm-traffic-increase guards one step; the others the release. */
function gateStep(t: Tick, type: WebhookType): number | null {
  return type === 'confirm-traffic-increase' ? t.status.currentStepIndex : null
}

/**
 * Passes a gate of confirm-* webhooks before `what`: true once each answered 2xx. While one answers
 * no, the release is Paused (reason Gate) and the webhook asked again every interval.
 */
export function passGate(t: Tick, type: WebhookType, what: string): boolean {
  const s = t.status
  const waiting = s.phase === 'Paused' && s.pause?.reason === 'Gate'
  const g = gate(t, type, gateStep(t, type))
  if (g.state === 'open') {
    if (waiting) {
      t.transition('GateOpened', `${type} webhooks answered yes; continuing`)
      // The wait does not count against the progress deadline.
      s.stepStartedAt = t.now
    }
    return true
  }
  if (g.state === 'asking') {
    if (!waiting) s.message = `asking ${type} webhook ${names(g.hooks)} before ${what}`
    return false
  }
  const first = g.closed[0]
  const message = `waiting for approval before ${what}: ${type} webhook "${first?.name ?? '?'}" answered ${first?.answer ?? '?'}; asked again every ${t.plan.webhookIntervalSeconds}s — \`kanari promote ${t.plan.name}\` approves it now`
  if (!waiting) {
    t.transition('WaitForGate', message)
    s.pause = { reason: 'Gate', since: t.now, gate: type }
    t.emit(
      'warn',
      {
        reason: 'Paused',
        pauseReason: 'Gate',
        gate: { type, webhooks: g.closed.map((c) => c.name) },
      },
      message,
    )
  } else s.message = message
  return false
}

/** `kanari promote` while a gate is closed: the user approves it for this checkpoint. */
export function approveGate(t: Tick): void {
  const type = t.status.pause?.gate
  if (type === undefined) return
  for (const hook of hooksOf(t.plan, type)) {
    const check = checkOf(t, hook, gateStep(t, type))
    check.passed = true
    check.answer = 'approved by user (kanari promote)'
    check.answeredAt = t.now
  }
  t.transition('GateOpened', `${type} gate approved by user; continuing`)
  t.status.stepStartedAt = t.now
}

/**
 * Before the first traffic to the new revision: every pre-rollout webhook must answer 2xx. A
 * failed call counts as a failed check and is asked again each interval. True once traffic may
 * move; from then on rollout webhooks are called.
 */
export function beforeFirstTraffic(t: Tick): boolean {
  // A rollout without webhooks keeps no webhook state.
  if (t.status.webhooks === undefined && t.plan.webhooks.length === 0) return true
  const w = webhookState(t.status)
  if (w.trafficSince !== null) return true
  const g = gate(t, 'pre-rollout', null)
  if (g.state !== 'open') {
    const failed = g.closed[0]
    t.status.message =
      failed === undefined
        ? `running pre-rollout webhook ${names(g.hooks)} before sending traffic`
        : `pre-rollout webhook "${failed.name}" failed (${failed.answer}); failed checks ${t.status.failedChecks}/${t.plan.failedChecksThreshold}, asked again every ${t.plan.webhookIntervalSeconds}s`
    return false
  }
  w.trafficSince = t.now
  return true
}
