/**
 * Webhooks in the engine, with Flagger's semantics, as actions and answers: the engine asks for a
 * call (`callWebhook`), the driver makes it, and the answer comes back on a later tick.
 *
 * - confirm-rollout, confirm-traffic-increase, confirm-promotion: gates. The release waits (Paused,
 *   reason Gate) until every webhook of the type answered 2xx; a closed one is asked again each
 *   interval. An answer counts for its checkpoint: the release, or the step whose weight it raises.
 * - pre-rollout: asked before any traffic moves to the new revision, again each interval until it
 *   passes; every failed call is a failed check, and the threshold rolls back.
 * - rollout: asked each interval once traffic moved; a failed call is a failed check, and the
 *   release does not advance until the latest call passed.
 * - rollback: asked each interval while the release is in flight; a 2xx rolls it back.
 * - post-rollout: asked once the release is promoted or rolled back; the answer is only recorded.
 * - event: every event, in order.
 */
import type { Tick } from './tick.js'
import type { EngineEvent, WebhookEffect } from './events.js'
import type { RolloutPlan, WebhookPlan, WebhookType } from './plan.js'
import type { RolloutStatus } from './status.js'
import type { EngineAction } from './types.js'
import {
  initialWebhookState,
  type FlaggerPhase,
  type WebhookCall,
  type WebhookCheck,
  type WebhookPayload,
  type WebhookState,
} from './webhook-types.js'

/** Gates: the release waits while one answers no. */
const GATES: readonly WebhookType[] = [
  'confirm-rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
]

/** Event-webhook calls allowed to wait per webhook; beyond it the oldest are dropped and counted. */
export const MAX_WAITING_EVENT_CALLS = 1000

export function hooksOf(plan: RolloutPlan, type: WebhookType): WebhookPlan[] {
  return plan.webhooks.filter((w) => w.type === type)
}

/** The status's webhook state, created when first needed. */
function state(s: RolloutStatus): WebhookState {
  s.webhooks ??= initialWebhookState()
  return s.webhooks
}

/** How Flagger would name the phase, for receivers written for it. */
export function flaggerPhase(s: RolloutStatus): FlaggerPhase {
  switch (s.phase) {
    case 'Initializing':
      return 'Initializing'
    case 'Progressing':
      return 'Progressing'
    case 'Promoting':
      return 'Promoting'
    case 'RolledBack':
      return 'Failed'
    case 'Healthy':
      return s.lastOutcome === null ? 'Initialized' : 'Succeeded'
    case 'Paused':
      if (s.pause?.reason === 'Gate' && s.pause.gate === 'confirm-rollout') return 'Waiting'
      if (s.pause?.reason === 'Gate' && s.pause.gate === 'confirm-promotion')
        return 'WaitingPromotion'
      return s.pause?.reason === 'WaitingPromotion' ? 'WaitingPromotion' : 'Progressing'
  }
}

function payload(
  plan: RolloutPlan,
  s: RolloutStatus,
  hook: WebhookPlan,
  extra: { phase?: FlaggerPhase; revision?: number; event?: EngineEvent } = {},
): WebhookPayload {
  let metadata: Record<string, string> = { ...hook.metadata }
  if (extra.event !== undefined) {
    // Flagger's event fields win over the webhook's own metadata of the same name.
    metadata = {
      ...metadata,
      eventMessage: extra.event.message,
      eventType: extra.event.severity === 'info' ? 'Normal' : 'Warning',
      timestamp: String(extra.event.at),
    }
  }
  return {
    name: plan.name,
    namespace: plan.namespace,
    // Flagger reports Progressing to the hooks it calls during the analysis, whatever waits.
    phase:
      extra.phase ??
      (hook.type === 'confirm-rollout' || hook.type === 'rollback' || hook.type === 'event'
        ? flaggerPhase(s)
        : 'Progressing'),
    checksum: plan.checksum,
    ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
    webhook: { name: hook.name, type: hook.type },
    revision: extra.revision ?? s.canaryRevision ?? s.revision,
    stableRevision: s.stableRevision,
    canaryWeight: s.traffic.canaryWeight,
    ...(extra.event === undefined ? {} : { event: extra.event }),
  }
}

function newCall(
  s: RolloutStatus,
  hook: WebhookPlan,
  body: WebhookPayload,
  now: number,
): EngineAction & { type: 'callWebhook' } {
  const w = state(s)
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
function checkOf(t: Tick, hook: WebhookPlan, stepIndex: number | null): WebhookCheck {
  const w = state(t.status)
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
function callIfDue(t: Tick, check: WebhookCheck, hook: WebhookPlan): void {
  if (check.callId !== null || t.now < check.nextCallAt) return
  const action = newCall(t.status, hook, payload(t.plan, t.status, hook), t.now)
  check.callId = action.call.id
  check.calls++
  t.calls.push(action)
}

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
  const w = state(t.status)
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
  if (s.webhooks?.trafficSince == null) return
  for (const hook of hooksOf(t.plan, 'rollout')) callIfDue(t, checkOf(t, hook, null), hook)
}

/** A new release (or a retry): every check starts over; post-rollout ones of the last outcome stay. */
export function resetWebhooks(t: Tick): void {
  t.status.failedChecks = 0
  if (t.status.webhooks === undefined && t.plan.webhooks.length === 0) return
  const w = state(t.status)
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
  const w = state(t.status)
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

/** Folds this tick's answers into the checks, with an event for each answer that changes something. */
export function foldWebhookAnswers(t: Tick): void {
  const answers = t.obs.webhooks ?? []
  if (answers.length === 0 || t.status.webhooks === undefined) return
  const w = t.status.webhooks
  for (const { callId, answer } of answers) {
    const index = w.pending.findIndex((c) => c.id === callId)
    const call = w.pending[index]
    if (call === undefined) continue // answered before (a replay) or dropped
    w.pending.splice(index, 1)
    if (call.webhook.type === 'event') {
      if (!answer.ok) w.failedEventCalls++
      continue
    }
    const check = w.checks.find((c) => c.callId === callId)
    if (check === undefined) continue // its release ended or started over
    check.callId = null
    // An approved gate stays approved for its checkpoint (the user may have promoted meanwhile).
    if (GATES.includes(check.type) && check.passed === true) continue
    const before = check.passed
    check.passed = answer.ok
    check.answer = answer.explanation
    check.answeredAt = t.now
    check.nextCallAt = Math.max(t.now, call.askedAt + t.plan.webhookIntervalSeconds * 1000)
    const effect = effectOf(check.type, answer.ok, before)
    if (check.type === 'pre-rollout' || check.type === 'rollout') {
      if (!answer.ok) {
        check.failures++
        t.status.failedChecks++
        w.lastFailure = { name: check.name, type: check.type, answer: answer.explanation }
      }
    }
    if (check.type === 'rollback' && answer.ok)
      w.rollbackBy = { name: check.name, answer: answer.explanation }
    if (effect === null) continue
    const warn =
      effect === 'GateClosed' ||
      effect === 'CheckFailed' ||
      effect === 'RollbackRequested' ||
      !answer.ok
    t.emit(
      warn ? 'warn' : 'info',
      {
        reason: 'WebhookAnswered',
        webhook: { name: check.name, type: check.type },
        passed: answer.ok,
        httpStatus: answer.httpStatus,
        attempts: answer.attempts,
        explanation: answer.explanation,
        effect,
        failedChecks: t.status.failedChecks,
      },
      `${check.type} webhook "${check.name}": ${answer.explanation}${effectText(effect, t)}`,
      t.status.traffic.canaryWeight,
      check.revision,
    )
  }
}

/** The event an answer is worth, or null when it changes nothing worth saying. */
function effectOf(type: WebhookType, ok: boolean, before: boolean | null): WebhookEffect | null {
  switch (type) {
    case 'confirm-rollout':
    case 'confirm-traffic-increase':
    case 'confirm-promotion':
      if (ok) return 'GateOpened'
      return before === false ? null : 'GateClosed'
    case 'pre-rollout':
    case 'rollout':
      if (!ok) return 'CheckFailed'
      return before === true ? null : 'CheckPassed'
    case 'rollback':
      return ok ? 'RollbackRequested' : null
    case 'post-rollout':
      return 'Recorded'
    case 'event':
      return null
  }
}

function effectText(effect: WebhookEffect, t: Tick): string {
  switch (effect) {
    case 'GateOpened':
      return ' — gate open'
    case 'GateClosed':
      return ' — gate closed, waiting'
    case 'CheckPassed':
      return ' — passed'
    case 'CheckFailed':
      return ` — failed check ${t.status.failedChecks}/${t.plan.failedChecksThreshold}`
    case 'RollbackRequested':
      return ' — rolling back'
    case 'Recorded':
      return ''
  }
}

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
  const w = state(s)
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
