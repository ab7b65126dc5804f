/**
 * The one loop that drives a rollout, whatever the driver: serialise per rollout, reconcile, persist
 * the new status and its events before acting, carry out the actions through the ports, and collect
 * measurements for the next tick. The timer lives outside: callers decide when `tickOnce(now)` runs.
 */
import { applyCommand, type RolloutCommand } from '../engine/commands.js'
import type { EngineEvent } from '../engine/events.js'
import type { RolloutPlan } from '../engine/plan.js'
import { reconcile, scaleDiff } from '../engine/reconcile.js'
import { sameTraffic, type RolloutStatus } from '../engine/status.js'
import type { EngineAction, Observations, PromotionReview } from '../engine/types.js'
import type { WebhookCall } from '../engine/webhook-types.js'
import { callEventHooks } from '../engine/webhook-event-hooks.js'
import { measureWith } from './metric-registry.js'
import type {
  EventSink,
  MetricProviders,
  PromotionReviewer,
  RolloutStore,
  TrafficRouter,
  WebhookCaller,
  WorkloadDriver,
} from './ports.js'
import { callWith } from './webhook-calls.js'

export interface RunnerPorts {
  workloads: WorkloadDriver
  router: TrafficRouter
  metrics: MetricProviders
  store: RolloutStore
  sinks: EventSink[]
  /** Reviews automatic promotions for plans with an advisor gate; without one they are unavailable. */
  reviewer?: PromotionReviewer
  /** Makes webhook calls; without one, every call is answered as failed. */
  webhooks?: WebhookCaller
}

export interface RunnerOptions {
  name: string
  plan: RolloutPlan
  status: RolloutStatus
  /**
   * `await`: a tick returns once its measurements are answered (virtual time: the next tick sees
   * them). `background`: answers are collected as they arrive, so a slow provider never holds up a
   * command or the next tick.
   */
  measurements: 'await' | 'background'
  /** Who the runner is, for errors from a provider that is not registered (e.g. "local mode"). */
  driver: string
  /** Reports an action that failed; the tick goes on with the next one. */
  onActionError?: (action: EngineAction, err: unknown) => void
}

export interface TickReport {
  status: RolloutStatus
  actions: EngineAction[]
  events: EngineEvent[]
}

export class RolloutRunner {
  #plan: RolloutPlan
  #status: RolloutStatus
  /** The status as JSON, when known: a tick that changes nothing is not persisted. */
  #statusText: string | undefined
  #pending: Observations['measurements'] = []
  #pendingReviews: NonNullable<Observations['reviews']> = []
  #answers: NonNullable<Observations['webhooks']> = []
  /** Calls being made: a call asked again (after a restart) is not made twice at once. */
  readonly #calling = new Set<string>()
  /** The last call queued per webhook: calls to one webhook go one after the other, in order. */
  readonly #hookQueues = new Map<string, Promise<void>>()
  readonly #inflight = new Set<Promise<void>>()
  #queue: Promise<unknown> = Promise.resolve()

  constructor(
    readonly ports: RunnerPorts,
    readonly options: RunnerOptions,
  ) {
    this.#plan = options.plan
    this.#status = options.status
  }

  get name(): string {
    return this.options.name
  }

  get plan(): RolloutPlan {
    return this.#plan
  }

  get status(): RolloutStatus {
    return this.#status
  }

  /** Answers received and not yet folded into a tick. */
  get pendingMeasurements(): readonly Observations['measurements'][number][] {
    return this.#pending
  }

  /** Runs `fn` after everything queued before it: ticks, commands and updates never interleave. */
  serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.#queue.then(fn, fn)
    this.#queue = next.catch(() => undefined)
    return next
  }

  /** One tick: observe, reconcile, persist, then act. */
  tickOnce(now: number): Promise<TickReport> {
    return this.serial(() => this.#tick(now))
  }

  /**
   * A user command, checked against the transition table and persisted with a `Command` event; the
   * next tick carries it out. A refused command throws and changes nothing.
   */
  command(command: RolloutCommand, now: number, actor = 'user'): Promise<RolloutStatus> {
    return this.serial(async () => {
      const status = applyCommand(this.#plan, this.#status, command, now)
      const full = command.type === 'promote' && command.full === true
      const event: EngineEvent = {
        at: now,
        severity: 'info',
        revision: status.canaryRevision ?? status.revision,
        canaryWeight: status.traffic.canaryWeight,
        stepIndex: status.currentStepIndex,
        message: `${full ? 'promote --full' : command.type} requested by ${actor}`,
        reason: 'Command',
        command: command.type,
        full,
        actor,
      }
      const calls = callEventHooks(this.#plan, status, [event], now)
      const before = this.#status
      await this.#persist(status, [event])
      // A command can change the replicas wanted (retry scales a rolled-back canary up again). The
      // next tick starts from the status saved here and sees no change to act on: act on it now.
      const scale = scaleDiff(before, status)
      for (const action of [...scale.ups, ...scale.downs]) await this.#act(action, now)
      for (const action of calls) await this.#act(action, now)
      return status
    })
  }

  /** A new plan (a new spec, maybe a new revision); the next tick acts on it. */
  update(plan: RolloutPlan): Promise<void> {
    return this.serial(() => {
      this.#plan = plan
    })
  }

  /**
   * Puts the desired state of the stored status back in place: after a restart, replicas the status
   * wants may be gone and the router may be empty.
   */
  restore(): Promise<void> {
    return this.serial(async () => {
      for (const [revision, replicas] of Object.entries(this.#status.replicas))
        await this.#act({ type: 'scale', revision: Number(revision), replicas }, 0)
      await this.#act({ type: 'setTraffic', traffic: this.#status.traffic }, 0)
      // Calls the old process asked for and never saw answered are made again (at least once).
      for (const call of this.#status.webhooks?.pending ?? [])
        await this.#act({ type: 'callWebhook', call }, 0)
    })
  }

  /** Reviews received and not yet folded into a tick. */
  get pendingReviews(): readonly NonNullable<Observations['reviews']>[number][] {
    return this.#pendingReviews
  }

  /** Resolves once every measurement asked for so far has been answered. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight])
  }

  async #tick(now: number): Promise<TickReport> {
    const before = this.#status
    const measurements = this.#pending
    const reviews = this.#pendingReviews
    const webhooks = this.#answers
    this.#pending = []
    this.#pendingReviews = []
    this.#answers = []
    let result
    try {
      const versions = await this.ports.workloads.observe(revisionsOf(before))
      result = reconcile(this.#plan, before, { versions, measurements, webhooks, reviews }, now)
      const events = result.actions.flatMap((a) => (a.type === 'event' ? [a.event] : []))
      // Persist first: if the process dies right after, the next one resumes from here.
      const text = JSON.stringify(result.status)
      if (events.length > 0 || text !== (this.#statusText ??= JSON.stringify(before)))
        await this.#persist(result.status, events, text)
    } catch (err) {
      // Nothing was acted on: keep the answers for the next tick.
      this.#pending = [...measurements, ...this.#pending]
      this.#pendingReviews = [...reviews, ...this.#pendingReviews]
      this.#answers = [...webhooks, ...this.#answers]
      throw err
    }
    const { status, actions } = result
    let routed = false
    for (const action of actions) {
      if (action.type === 'setTraffic') routed = true
      await this.#act(action, now)
    }
    if (!routed) await this.#keepTrafficInPlace()
    if (this.options.measurements === 'await') await this.idle()
    return {
      status,
      actions,
      events: actions.flatMap((a) => (a.type === 'event' ? [a.event] : [])),
    }
  }

  async #persist(status: RolloutStatus, events: EngineEvent[], text?: string): Promise<void> {
    await this.ports.store.saveStatus(this.name, status, events)
    this.#status = status
    this.#statusText = text
    if (events.length > 0) for (const sink of this.ports.sinks) sink.publish(this.name, events)
  }

  /** Reads the routing back and puts the desired one in place again when it drifted. */
  async #keepTrafficInPlace(): Promise<void> {
    const actual = await this.ports.router.verify()
    if (actual === null || !sameTraffic(actual, this.#status.traffic))
      await this.#act({ type: 'setTraffic', traffic: this.#status.traffic }, 0)
  }

  async #act(action: EngineAction, now: number): Promise<void> {
    try {
      switch (action.type) {
        case 'scale':
          await this.ports.workloads.scale(action.revision, action.replicas)
          return
        case 'setTraffic':
          await this.ports.router.apply(action.traffic)
          return
        case 'measure':
          this.#measure(action, now)
          return
        case 'review':
          this.#review(action)
          return
        case 'callWebhook':
          this.#callWebhook(action.call)
          return
        case 'event':
          return
      }
    } catch (err) {
      this.options.onActionError?.(action, err)
    }
  }

  /**
   * Asks for a review in the background. It is never awaited (not even in virtual time): the engine
   * gives up on it after its timeout, and an answer that comes later is ignored.
   */
  #review(action: EngineAction & { type: 'review' }): void {
    const reviewer = this.ports.reviewer
    const answer: Promise<PromotionReview> =
      reviewer === undefined
        ? Promise.resolve({
            revision: action.revision,
            outcome: 'unavailable',
            summary: `no advisor in ${this.options.driver}`,
          })
        : reviewer.review(action.revision, action.timeoutSeconds).catch((err: unknown) => ({
            revision: action.revision,
            outcome: 'unavailable' as const,
            summary: `the review failed: ${err instanceof Error ? err.message : String(err)}`,
          }))
    void answer.then((review) => this.#pendingReviews.push(review))
  }

  #measure(action: EngineAction & { type: 'measure' }, now: number): void {
    const context = { traffic: this.#status.traffic, now }
    const answer = measureWith(this.ports.metrics, action.request, context, this.options.driver)
      .then((measurement) => {
        this.#pending.push({ runId: action.request.runId, measurement })
      })
      .finally(() => this.#inflight.delete(answer))
    this.#inflight.add(answer)
  }

  /** In the background, after the calls queued before it to the same webhook. */
  #callWebhook(call: WebhookCall): void {
    if (this.#calling.has(call.id)) return
    this.#calling.add(call.id)
    const previous = this.#hookQueues.get(call.webhook.name) ?? Promise.resolve()
    const done: Promise<void> = previous
      .then(() => callWith(this.ports.webhooks, call, this.options.driver))
      .then((answer) => {
        this.#answers.push({ callId: call.id, answer })
      })
      .finally(() => {
        this.#calling.delete(call.id)
        this.#inflight.delete(done)
        if (this.#hookQueues.get(call.webhook.name) === done)
          this.#hookQueues.delete(call.webhook.name)
      })
    this.#hookQueues.set(call.webhook.name, done)
    this.#inflight.add(done)
  }

  /** Webhook answers received and not yet folded into a tick. */
  get pendingWebhookAnswers(): readonly PendingWebhookAnswers[number][] {
    return this.#answers
  }
}

/** Answers to the runner's webhook calls not yet folded into a tick (for tests). */
export type PendingWebhookAnswers = NonNullable<Observations['webhooks']>

/** Revisions whose replicas the engine needs to see: those it asked for, stable and canary. */
function revisionsOf(status: RolloutStatus): number[] {
  const revisions = new Set(Object.keys(status.replicas).map(Number))
  if (status.stableRevision !== null) revisions.add(status.stableRevision)
  if (status.canaryRevision !== null) revisions.add(status.canaryRevision)
  return [...revisions].sort((a, b) => a - b)
}
