/**
 * Webhooks in the engine, with Flagger's semantics, as actions and answers: the engine asks for a
 * call (`callWebhook`), the driver makes it, and the answer comes back on a later tick. This module
 * keeps the webhook state in the status: the calls out, and one check per webhook and checkpoint,
 * called again each interval. Gates are in ./webhook-gates.ts, the webhooks of a release's life in
 * ./webhook-lifecycle.ts, answers in ./webhook-answers.ts, event webhooks in ./webhook-event-hooks.ts.
 */
import type { Tick } from './tick.js'
import type { RolloutPlan, WebhookPlan, WebhookType } from './plan.js'
import type { RolloutStatus } from './status.js'
import type { EngineAction } from './types.js'
import { payload } from './webhook-payload.js'
import {
  initialWebhookState,
  type WebhookCall,
  type WebhookCheck,
  type WebhookPayload,
  type WebhookState,
} from './webhook-types.js'

/** The plan's webhooks of `type`, in the order the spec lists them. */
export function hooksOf(plan: RolloutPlan, type: WebhookType): WebhookPlan[] {
  return plan.webhooks.filter((w) => w.type === type)
}

/** The status's webhook state, created when first needed. */
export function webhookState(s: RolloutStatus): WebhookState {
  s.webhooks ??= initialWebhookState()
  return s.webhooks
}

/** A call of `hook`, kept in the status as pending until its answer is folded in. */
export function newCall(
  s: RolloutStatus,
  hook: WebhookPlan,
  body: WebhookPayload,
  now: number,
): EngineAction & { type: 'callWebhook' } {
  const w = webhookState(s)
  w.callCounter++
  const call: WebhookCall = {
    id: `call-${w.callCounter}`,
    webhook: structuredClone(hook),
    payload: body,
    askedAt: now,
  }
  w.pending.push(call)
  return { type: 'callWebhook', call: structuredClone(call) }
}

/** The check of `hook` at this checkpoint, created (due at once) when there is none. */
export function checkOf(t: Tick, hook: WebhookPlan, stepIndex: number | null): WebhookCheck {
  const w = webhookState(t.status)
  const revision = t.status.canaryRevision ?? t.status.revision
  const found = w.checks.find(
    (c) =>
      c.name === hook.name &&
      c.type === hook.type &&
      c.revision === revision &&
      c.stepIndex === stepIndex,
  )
  if (found !== undefined) return found
  const check: WebhookCheck = {
    name: hook.name,
    type: hook.type,
    revision,
    stepIndex,
    callId: null,
    passed: null,
    answer: '',
    answeredAt: null,
    nextCallAt: t.now,
    calls: 0,
    failures: 0,
  }
  w.checks.push(check)
  return check
}

/** Calls `hook` for its check unless a call is out or the next one is not due yet. */
export function callIfDue(t: Tick, check: WebhookCheck, hook: WebhookPlan): void {
  if (check.callId !== null || t.now < check.nextCallAt) return
  const action = newCall(t.status, hook, payload(t.plan, t.status, hook), t.now)
  check.callId = action.call.id
  check.calls++
  t.calls.push(action)
}
