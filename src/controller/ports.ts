/**
 * The ports through which the runner reaches the world. Each is a small interface with one contract
 * suite (test-utils/*-contract.ts) that every implementation runs: local processes, simulate's
 * virtual time, and the drivers still to come all plug in here.
 */
import type { Measurement, MeasurementRequest } from '../analysis/types.js'
import type { MetricProviderKind } from '../analysis/vocabulary.js'
import type { EngineEvent } from '../engine/events.js'
import type { RolloutStatus, TrafficState } from '../engine/status.js'
import type { PromotionReview, VersionObservation } from '../engine/types.js'
import type { WebhookAnswer, WebhookCall } from '../engine/webhook-types.js'
import type { RouterCapabilities } from '../engine/vocabulary.js'

/** Replica sets per revision: scale them, read their readiness. */
export interface WorkloadDriver {
  /** Asks for `replicas` of `revision` (0 removes them). Returns once the request is accepted. */
  scale(revision: number, replicas: number): Promise<void>
  /** What runs now, for each asked revision (a revision with nothing running reads as 0/0). */
  observe(revisions: number[]): Promise<Record<string, VersionObservation>>
}

/** What a router can express (the spec refuses steps a router cannot carry out). */
export type { RouterCapabilities }

/** Moves traffic: puts a desired traffic state in place and reads back what really is. */
export interface TrafficRouter {
  readonly capabilities: RouterCapabilities
  apply(traffic: TrafficState): Promise<void>
  /** The traffic state really in place, read back from the router; null before anything is applied. */
  verify(): Promise<TrafficState | null>
}

/** What a provider may use besides the request: the routing in force when it was asked. */
export interface MeasureContext {
  traffic: TrafficState
  now: number
}

/**
 * Answers one measurement request. It never throws and never invents a value: a failure is a
 * measurement with `error`, no data is `value: null`.
 */
export interface MetricProvider {
  measure(request: MeasurementRequest, context: MeasureContext): Promise<Measurement>
}

/** Providers by the name the spec uses (`builtin`, `prometheus`, `web`, `command`). */
export type MetricProviders = Partial<Record<MetricProviderKind, MetricProvider>>

/**
 * Makes one webhook call — an HTTP POST of its payload, or (in local mode) a gate or a load run —
 * with its timeout and retries. It never throws: a failure is an answer with `ok: false`.
 */
export interface WebhookCaller {
  call(call: WebhookCall): Promise<WebhookAnswer>
}

/** A recorded event: the engine's event with its place in the rollout's log. */
export type StoredEvent = EngineEvent & { id: number; rollout: string }

/** Where a rollout's status and events live. A save is atomic: status and events together. */
export interface RolloutStore {
  loadStatus(rollout: string): Promise<RolloutStatus | undefined>
  saveStatus(rollout: string, status: RolloutStatus, events: EngineEvent[]): Promise<void>
  /** Events in order; `sinceId` skips those seen, `limit` keeps the newest. */
  events(rollout: string, options?: { sinceId?: number; limit?: number }): Promise<StoredEvent[]>
}

/**
 * Reviews an automatic promotion for the opt-in advisor gate (RolloutPlan.advisorGate). It never
 * throws; the engine stops waiting after the timeout whether or not an answer came.
 */
export interface PromotionReviewer {
  review(revision: number, timeoutSeconds: number): Promise<PromotionReview>
}

/** Receives events after they are persisted: logs, watchers, notifiers. */
export interface EventSink {
  publish(rollout: string, events: EngineEvent[]): void
}
