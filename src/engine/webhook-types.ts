/**
 * The shapes of webhook calls: the JSON a webhook receives (Flagger's payload, with Kanari's fields
 * beside it), a call the engine asks the driver to make, the answer that comes back, and where each
 * webhook of a release stands — all plain JSON kept in the rollout status.
 */
import type { EngineEvent } from './events.js'
import type { WebhookPlan, WebhookType } from './plan.js'

/** The phases Flagger reports to webhooks; receivers written for Flagger read these. */
export const FLAGGER_PHASES = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Succeeded',
  'Failed',
] as const
export type FlaggerPhase = (typeof FLAGGER_PHASES)[number]

/**
 * What a webhook receives, as an HTTP POST with a JSON body. `name`, `namespace`, `phase`,
 * `checksum` and `metadata` are Flagger's (so its load tester and gates understand it); the rest
 * is Kanari's.
 */
export interface WebhookPayload {
  /** The rollout's name. */
  name: string
  namespace: string
  phase: FlaggerPhase
  /** Identifies the workload template of the release (changes with the template, not with time). */
  checksum: string
  /** The webhook's `metadata`; event webhooks also get `eventMessage`, `eventType`, `timestamp`. */
  metadata?: Record<string, string>
  webhook: { name: string; type: WebhookType }
  /** The revision the call is about (the canary, or the one deployed). */
  revision: number
  stableRevision: number | null
  canaryWeight: number
  /** Event webhooks: the event, whole (reason and its data, as `kanari get` and the API show it). */
  event?: EngineEvent
}

/** A call the engine asks the driver to make; kept in the status until answered, re-sent after a restart. */
export interface WebhookCall {
  /** Opaque and unique within the rollout; the answer comes back with it. */
  id: string
  webhook: WebhookPlan
  payload: WebhookPayload
  /** Epoch ms. */
  askedAt: number
}

/** How a call went, as the driver saw it. */
export interface WebhookAnswer {
  /** A 2xx answer (for a gate: open; for a load test: started or running). */
  ok: boolean
  /** The status of the last attempt; null when none came back (timeout, connection refused). */
  httpStatus: number | null
  attempts: number
  /** What came back, for people: "HTTP 403: gate closed", "no answer within 10s (3 attempts)". */
  explanation: string
}

/** Where one webhook stands for the current release (or, post-rollout, for the last outcome). */
export interface WebhookCheck {
  name: string
  type: WebhookType
  /** The revision the check is about. */
  revision: number
  /** confirm-traffic-increase: the step whose weight increase it guards; null for the others. */
  stepIndex: number | null
  /** The call waiting for its answer, if any. */
  callId: string | null
  /** The latest answer: true for 2xx, null before the first. */
  passed: boolean | null
  /** The latest answer in words. */
  answer: string
  answeredAt: number | null
  /** When to call again: a closed gate, a failed pre-rollout, rollout and rollback webhooks. */
  nextCallAt: number
  calls: number
  failures: number
}

/** The webhooks' part of the rollout status. */
export interface WebhookState {
  /** Numbers the calls, so each gets a fresh id. */
  callCounter: number
  /** Calls asked for and not answered yet, in the order asked. */
  pending: WebhookCall[]
  checks: WebhookCheck[]
  /** Every confirm-rollout webhook answered 2xx (or there is none): the release may start. */
  rolloutConfirmed: boolean
  /** When traffic first moved to the release (after pre-rollout passed): rollout webhooks run from then. */
  trafficSince: number | null
  /** A rollback webhook answered 2xx: the release is rolled back. */
  rollbackBy: { name: string; answer: string } | null
  /** The latest failed pre-rollout or rollout call (it counted as a failed check). */
  lastFailure: { name: string; type: WebhookType; answer: string } | null
  /** Event-webhook calls given up after every retry. */
  failedEventCalls: number
  /** Event-webhook calls dropped because too many were waiting (a receiver far slower than the events). */
  droppedEventCalls: number
}

export function initialWebhookState(): WebhookState {
  return {
    callCounter: 0,
    pending: [],
    checks: [],
    rolloutConfirmed: true,
    trafficSince: null,
    rollbackBy: null,
    lastFailure: null,
    failedEventCalls: 0,
    droppedEventCalls: 0,
  }
}
