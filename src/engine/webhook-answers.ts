/**
 * The answers of webhook calls, folded into their checks on the tick after the driver made them:
 * what each answer opens, fails or asks for, and the event that says so.
 */
import type { Tick } from './tick.js'
import type { WebhookEffect } from './events.js'
import type { WebhookType } from './plan.js'
import { GATES } from './webhook-gates.js'

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
