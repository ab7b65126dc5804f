/**
 * What goes into and comes out of one engine tick: observations the driver gathered, and the actions
 * it must carry out (after persisting the new status).
 */
import type { Measurement, MeasurementRequest } from '../analysis/types.js'
import type { EngineEvent } from './events.js'
import type { RolloutStatus, TrafficState } from './status.js'
import type { WebhookAnswer, WebhookCall } from './webhook-types.js'

/**
 * Why a revision's replicas are not coming up, as the workload driver sees it: the command is not
 * there, it cannot be started, it exits as soon as it starts, it runs but never passes readiness, or
 * it keeps crashing.
 */
export const WORKLOAD_PROBLEMS = [
  'CommandNotFound',
  'CannotStart',
  'ExitedAtStart',
  'NotReady',
  'CrashLoop',
] as const
export type WorkloadProblemReason = (typeof WORKLOAD_PROBLEMS)[number]

export interface WorkloadProblem {
  reason: WorkloadProblemReason
  /** What is wrong, for people, e.g. "command node-x not found in PATH (spawn ENOENT)". */
  message: string
  /** What to do about it, e.g. "fix spec.workload.process.command and apply again". */
  hint: string
}

export interface VersionObservation {
  /** Replicas the workload currently wants for this revision. */
  desired: number
  /** Replicas passing readiness. */
  ready: number
  /** The revision's replicas keep crashing (restarts in a short window). */
  crashLooping: boolean
  /** Why its replicas are not ready, when the driver can tell. */
  problem?: WorkloadProblem
}

export interface Observations {
  /** Keyed by revision number. A revision with nothing running may be absent. */
  versions: Record<string, VersionObservation | undefined>
  /** Answers to earlier `measure` actions, tagged with the run they were for. */
  measurements: { runId: string; measurement: Measurement }[]
  /** Answers to earlier `callWebhook` actions, tagged with the call they answer. */
  webhooks?: { callId: string; answer: WebhookAnswer }[]
  /** Answers to earlier `review` actions. */
  reviews?: PromotionReview[]
}

/** What an advisor's review of an automatic promotion came to (see RolloutPlan.advisorGate). */
export const REVIEW_OUTCOMES = ['agree', 'disagree', 'unavailable'] as const
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number]

/** The answer to a `review` action. */
export interface PromotionReview {
  revision: number
  outcome: ReviewOutcome
  /** For people: what the advisor said, or why there is no review. */
  summary: string
}

export type EngineAction =
  | { type: 'scale'; revision: number; replicas: number }
  | { type: 'setTraffic'; traffic: TrafficState }
  | { type: 'measure'; request: MeasurementRequest }
  /** Ask the advisor to review promoting `revision`; answered within `timeoutSeconds` or not at all. */
  | { type: 'review'; revision: number; timeoutSeconds: number }
  /** Call a webhook; the answer comes back in `Observations.webhooks`. */
  | { type: 'callWebhook'; call: WebhookCall }
  | { type: 'event'; event: EngineEvent }

export interface ReconcileResult {
  status: RolloutStatus
  actions: EngineAction[]
}

export function noObservations(): Observations {
  return { versions: {}, measurements: [], webhooks: [] }
}
