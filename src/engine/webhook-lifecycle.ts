/**
 * The webhooks of a release's life. rollout: asked each interval once traffic moved; a failed call
 * is a failed check, and the release does not advance until the latest call passed. rollback: asked
 * each interval while the release is in flight; a 2xx rolls it back. post-rollout: asked once the
 * release is promoted or rolled back; the answer is only recorded.
 */
import { isFrozen } from './status.js'
import type { Tick } from './tick.js'
import { callIfDue, checkOf, hooksOf, newCall, webhookState } from './webhook-checks.js'
import { payload } from './webhook-payload.js'

/** Why the release may not advance now: a rollout webhook whose latest call did not pass. */
export function rolloutHooksHold(t: Tick): string | null {
  const w = t.status.webhooks
  if (w?.trafficSince == null) return null
  for (const hook of hooksOf(t.plan, 'rollout')) {
    const check = w.checks.find(
      (c) => c.name === hook.name && c.type === 'rollout' && c.revision === t.status.canaryRevision,
    )
    if (check?.passed === true) continue
    return check?.passed === false
      ? `held: rollout webhook "${hook.name}" failed (${check.answer}); failed checks ${t.status.failedChecks}/${t.plan.failedChecksThreshold}`
      : `waiting for the first answer of rollout webhook "${hook.name}"`
  }
  return null
}

/**
 * Each interval while the release is in flight: rollback webhooks from its start, rollout webhooks
 * once traffic moved.
 */
export function callPeriodicHooks(t: Tick): void {
  const s = t.status
  if (s.phase !== 'Progressing' && s.phase !== 'Paused') return
  if (s.canaryRevision === null) return
  for (const hook of hooksOf(t.plan, 'rollback')) callIfDue(t, checkOf(t, hook, null), hook)
  // A frozen release is not checked again until a person retries it.
  if (s.webhooks?.trafficSince == null || isFrozen(s)) return
  for (const hook of hooksOf(t.plan, 'rollout')) callIfDue(t, checkOf(t, hook, null), hook)
}

/** A new release (or a retry): every check starts over; post-rollout ones of the last outcome stay. */
export function resetWebhooks(t: Tick): void {
  t.status.failedChecks = 0
  if (t.status.webhooks === undefined && t.plan.webhooks.length === 0) return
  const w = webhookState(t.status)
  w.checks = w.checks.filter((c) => c.type === 'post-rollout')
  w.rolloutConfirmed = hooksOf(t.plan, 'confirm-rollout').length === 0
  w.trafficSince = null
  w.rollbackBy = null
  w.lastFailure = null
}

/** The release ended (promoted or rolled back): its checks go, post-rollout webhooks are called. */
export function afterOutcome(t: Tick, phase: 'Succeeded' | 'Failed', revision: number): void {
  const hooks = hooksOf(t.plan, 'post-rollout')
  if (t.status.webhooks === undefined && hooks.length === 0) return
  const w = webhookState(t.status)
  w.checks = []
  w.trafficSince = null
  w.rollbackBy = null
  w.lastFailure = null
  for (const hook of hooks) {
    const action = newCall(
      t.status,
      hook,
      payload(t.plan, t.status, hook, { phase, revision }),
      t.now,
    )
    w.checks.push({
      name: hook.name,
      type: hook.type,
      revision,
      stepIndex: null,
      callId: action.call.id,
      passed: null,
      answer: '',
      answeredAt: null,
      nextCallAt: t.now,
      calls: 1,
      failures: 0,
    })
    t.calls.push(action)
  }
}

/** Why the release must roll back because of its webhooks, or null. */
export function webhookAbort(
  t: Tick,
): { cause: 'WebhookRollback' | 'WebhookFailed'; reason: string } | null {
  const w = t.status.webhooks
  if (w === undefined) return null
  if (w.rollbackBy !== null)
    return {
      cause: 'WebhookRollback',
      reason: `rollback webhook "${w.rollbackBy.name}" asked for it (${w.rollbackBy.answer})`,
    }
  if (w.lastFailure !== null && t.status.failedChecks >= t.plan.failedChecksThreshold)
    return {
      cause: 'WebhookFailed',
      reason: `failed checks reached the threshold (${t.status.failedChecks}/${t.plan.failedChecksThreshold}); last: ${w.lastFailure.type} webhook "${w.lastFailure.name}" ${w.lastFailure.answer}`,
    }
  return null
}
