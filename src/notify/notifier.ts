/**
 * The notifier: an EventSink that turns a rollout's events into messages for its notifications
 * (Slack, Teams, Discord, a JSON webhook). `publish` only filters and queues, so sending never holds
 * up or fails a tick. Each notification has its own bounded queue, sent in order by one worker:
 * a failure is tried again after a growing pause, then counted; a full queue drops its oldest
 * message and counts it. The counts are what `kanari get` and the API show. With an outbox, each
 * waiting message is also kept on disk until it is sent or given up on, so a daemon killed (or
 * stopped) before sending it sends it after it starts again: at least once, in order.
 */
import type { EventSink } from '../controller/ports.js'
import type { EngineEvent } from '../engine/events.js'
import type { NotificationPlan } from '../engine/plan.js'
import { attemptDelivery, pause, retryPauseMs, type Post } from './attempt.js'
import { postJson } from './deliver.js'
import { PAYLOADS } from './formats/index.js'
import { noticeOf } from './notice.js'
import { KeptMessages, type Outbox, type Queued } from './outbox.js'
import { describeSource } from './secret.js'
import {
  KeptCountsBook,
  startingStats,
  type CountsKeeper,
  type NotificationStats,
} from './stats.js'
import { wants } from './wants.js'

export interface NotifierOptions {
  /** The rollout's notifications now: read at each publish, as a new spec may change them. */
  notifications: () => readonly NotificationPlan[]
  /** Relative `urlFrom.file` paths start here (the manifest's directory). */
  baseDir: () => string
  log: (line: string) => void
  /** Messages kept waiting per notification before the oldest is dropped (default 100). */
  maxQueued?: number
  /** Pause before the first retry, doubled for each next one (default 1000 ms)… */
  retryDelayMs?: number
  /** …up to this (default 30 s); a 429's Retry-After is honoured up to it too. */
  maxRetryDelayMs?: number
  now?: () => number
  /** How a message is sent (default: an HTTP POST of the JSON). */
  post?: Post
  env?: NodeJS.ProcessEnv
  /** Where waiting messages are kept across restarts (none: they live in memory only). */
  outbox?: Outbox
  /** Where each notification's counts are kept across restarts (none: they start at zero). */
  counts?: CountsKeeper
}

/** One notification's queue, its worker's state and its counts. */
interface Lane {
  plan: NotificationPlan
  queue: Queued[]
  running: boolean
  stats: NotificationStats
}

export class Notifier implements EventSink {
  readonly #lanes = new Map<string, Lane>()
  readonly #closing = new AbortController()
  readonly #idle = new Set<() => void>()
  readonly #maxQueued: number
  readonly #delays: { retryDelayMs: number; maxRetryDelayMs: number }
  readonly #now: () => number
  readonly #outbox: KeptMessages
  readonly #counts: KeptCountsBook

  constructor(private readonly options: NotifierOptions) {
    this.#maxQueued = options.maxQueued ?? 100
    this.#delays = {
      retryDelayMs: options.retryDelayMs ?? 1000,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
    }
    this.#now = options.now ?? Date.now
    this.#outbox = new KeptMessages(options.outbox, options.log)
    this.#counts = new KeptCountsBook(options.counts, options.log)
  }

  publish(rollout: string, events: EngineEvent[]): void {
    if (this.#closing.signal.aborted) return
    // A notifier must never fail the tick that published: anything unexpected is logged instead.
    try {
      this.#enqueue(rollout, events)
    } catch (err) {
      this.options.log(
        `rollout ${rollout}: notifications not queued: ${err instanceof Error ? err.message : String(err)}`,
      )
    }
  }

  #enqueue(rollout: string, events: EngineEvent[]): void {
    for (const plan of this.options.notifications()) {
      const lane = this.#lane(plan)
      for (const e of events) {
        if (!wants(plan, e)) continue
        if (lane.queue.length >= this.#maxQueued) {
          this.#outbox.forget(lane.queue.shift())
          lane.stats.dropped++
          this.options.log(
            `rollout ${rollout}: notification ${plan.name}: ${this.#maxQueued} messages waiting; dropped the oldest`,
          )
        }
        const notice = noticeOf(rollout, plan.name, e)
        lane.queue.push({ notice, id: this.#outbox.keep(rollout, notice) })
      }
      this.#refresh(lane)
      if (!lane.running && lane.queue.length > 0) void this.#run(rollout, lane)
    }
  }

  /**
   * Queues again what the outbox kept for `rollout` from before a restart, ahead of anything new. A
   * message for a notification the spec no longer has is dropped (counted in no lane) and logged.
   */
  resume(rollout: string): void {
    if (this.#closing.signal.aborted) return
    const kept = this.#outbox.pending(rollout)
    if (kept.length === 0) return
    const plans = new Map(this.options.notifications().map((p) => [p.name, p]))
    const lanes = new Set<Lane>()
    for (const item of kept) {
      const plan = plans.get(item.notice.notification)
      if (plan === undefined) {
        this.#outbox.forget(item)
        this.options.log(
          `rollout ${rollout}: notification ${item.notice.notification} is no longer in the spec; its kept ${item.notice.reason} message is dropped`,
        )
        continue
      }
      const lane = this.#lane(plan)
      lane.queue.push(item)
      lanes.add(lane)
    }
    for (const lane of lanes) {
      this.#refresh(lane)
      if (!lane.running) void this.#run(rollout, lane)
    }
    this.options.log(
      `rollout ${rollout}: ${kept.length} notification message${kept.length === 1 ? '' : 's'} kept from before the restart queued again`,
    )
  }

  /** Every current notification's counts, and those of removed ones still sending. */
  stats(): NotificationStats[] {
    const plans = this.options.notifications()
    // Counts kept from before a restart show before anything is published.
    for (const plan of plans) if (this.#counts.kept()[plan.name] !== undefined) this.#lane(plan)
    const current = new Set(plans.map((n) => n.name))
    return [...this.#lanes.values()]
      .filter((l) => current.has(l.plan.name) || l.running)
      .map((l) => ({ ...l.stats }))
  }

  /** Resolves when no message is waiting (or the notifier is closed). */
  idle(): Promise<void> {
    if (this.#quiet()) return Promise.resolve()
    return new Promise((resolve) => this.#idle.add(resolve))
  }

  /**
   * Stops: messages still waiting after `graceMs` are dropped (counted) — or, with an outbox, left in
   * it for the next start — and a send in flight is abandoned. Events published afterwards are
   * ignored.
   */
  async close(graceMs = 2000): Promise<void> {
    if (!this.#quiet()) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        this.idle(),
        new Promise<void>((r) => (timer = setTimeout(r, graceMs).unref())),
      ])
      clearTimeout(timer)
    }
    this.#closing.abort()
    for (const lane of this.#lanes.values()) {
      lane.stats.dropped += lane.queue.filter((q) => q.id === undefined).length
      lane.queue.length = 0
      this.#refresh(lane)
    }
    this.#wake()
    // A send in flight ends at once when aborted; then its message is counted too.
    await this.idle()
  }

  #lane(plan: NotificationPlan): Lane {
    let lane = this.#lanes.get(plan.name)
    if (lane === undefined) {
      const stats = startingStats(plan, this.#counts.kept()[plan.name])
      lane = { plan, queue: [], running: false, stats }
      this.#lanes.set(plan.name, lane)
    }
    // A new spec may change the provider, the secret's place, the filter or the limits.
    lane.plan = plan
    lane.stats.provider = plan.provider
    lane.stats.severity = plan.severity
    return lane
  }

  #refresh(lane: Lane): void {
    lane.stats.queued = lane.queue.length + (lane.running ? 1 : 0)
    this.#saveCounts()
  }

  /** Saves every lane's counts when they changed since the last save. */
  #saveCounts(): void {
    this.#counts.save([...this.#lanes.values()].map((l) => l.stats))
  }

  #quiet(): boolean {
    return [...this.#lanes.values()].every((l) => !l.running && l.queue.length === 0)
  }

  #wake(): void {
    if (!this.#quiet()) return
    for (const resolve of this.#idle) resolve()
    this.#idle.clear()
  }

  async #run(rollout: string, lane: Lane): Promise<void> {
    lane.running = true
    try {
      for (let item = lane.queue.shift(); item !== undefined; item = lane.queue.shift()) {
        this.#refresh(lane)
        try {
          // Finished unless the notifier closed on it: then the outbox keeps it for the next start.
          if (await this.#send(rollout, lane, item)) this.#outbox.forget(item)
        } catch (err) {
          this.#outbox.forget(item)
          // A bug in building a message costs that message, never the daemon.
          lane.stats.failed++
          lane.stats.lastError = err instanceof Error ? err.message : String(err)
          lane.stats.lastErrorAt = this.#now()
        }
        if (this.#closing.signal.aborted) break
      }
    } finally {
      lane.running = false
      this.#refresh(lane)
      this.#wake()
    }
  }

  /**
   * One message: attempts until it is accepted, refused for good, or out of retries (true), or until
   * the notifier closes (false: still waiting).
   */
  async #send(rollout: string, lane: Lane, item: Queued): Promise<boolean> {
    const notice = item.notice
    const plan = lane.plan
    const payload = PAYLOADS[plan.provider](notice)
    const attempt = {
      post: this.options.post ?? postJson,
      baseDir: () => this.options.baseDir(),
      env: this.options.env,
      signal: this.#closing.signal,
    }
    for (let n = 0; ; n++) {
      const result = await attemptDelivery(plan, payload, attempt)
      if (result.ok) {
        lane.stats.sent++
        lane.stats.lastSentAt = this.#now()
        this.#saveCounts()
        return true
      }
      if (this.#closing.signal.aborted) {
        if (item.id === undefined) lane.stats.dropped++
        return false
      }
      if (!result.retryable || n >= plan.retries) {
        lane.stats.failed++
        lane.stats.lastError = result.error
        lane.stats.lastErrorAt = this.#now()
        this.#saveCounts()
        this.options.log(
          `rollout ${rollout}: notification ${plan.name} (${plan.provider}, ${describeSource(plan.urlFrom, this.options.baseDir())}): ${notice.reason} not sent after ${n + 1} attempt${n === 0 ? '' : 's'}: ${result.error}`,
        )
        return true
      }
      lane.stats.retries++
      this.#saveCounts()
      await pause(retryPauseMs(n, result.retryAfterMs, this.#delays), this.#closing.signal)
      if (this.#closed()) {
        if (item.id === undefined) lane.stats.dropped++
        return false
      }
    }
  }

  /** A method, not the field: the pause before it may have seen the notifier close. */
  #closed(): boolean {
    return this.#closing.signal.aborted
  }
}
