/**
 * Event webhooks: every event, in order, to every webhook of type `event`. Calls that wait for an
 * answer are bounded per webhook so a receiver that never answers cannot grow the status forever.
 */
import type { EngineEvent } from './events.js'
import type { RolloutPlan } from './plan.js'
import type { RolloutStatus } from './status.js'
import type { EngineAction } from './types.js'
import { hooksOf, newCall, webhookState } from './webhook-checks.js'
import { payload } from './webhook-payload.js'

/** Event-webhook calls allowed to wait per webhook; beyond it the oldest are dropped and counted. */
export const MAX_WAITING_EVENT_CALLS = 1000

/**
 * Every event of this tick to every event webhook, in order. Pure: the status keeps the calls
 * until answered. Used for the events of a tick and for the `Command` event of a user command.
 */
export function callEventHooks(
  plan: RolloutPlan,
  s: RolloutStatus,
  events: EngineEvent[],
  now: number,
): EngineAction[] {
  const hooks = hooksOf(plan, 'event')
  if (hooks.length === 0 || events.length === 0) return []
  const actions: EngineAction[] = []
  for (const event of events)
    for (const hook of hooks) actions.push(newCall(s, hook, payload(plan, s, hook, { event }), now))
  const w = webhookState(s)
  for (const hook of hooks) {
    const waiting = w.pending.filter(
      (c) => c.webhook.type === 'event' && c.webhook.name === hook.name,
    )
    const excess = waiting.length - MAX_WAITING_EVENT_CALLS
    if (excess <= 0) continue
    const drop = new Set(waiting.slice(0, excess).map((c) => c.id))
    w.pending = w.pending.filter((c) => !drop.has(c.id))
    w.droppedEventCalls += excess
    actions.splice(
      0,
      actions.length,
      ...actions.filter((a) => a.type !== 'callWebhook' || !drop.has(a.call.id)),
    )
  }
  return actions
}
