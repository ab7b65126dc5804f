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
import type { NotificationPlan, Severity } from '../engine/plan.js'
import { SEVERITIES } from '../engine/vocabulary.js'
import { postJson, type Delivery } from './deliver.js'
import { PAYLOADS } from './formats/index.js'
import { noticeOf, type Notice } from './notice.js'
import { describeSource, readWebhookUrl, redact, SecretError } from './secret.js'

/** How one notification has fared: since it was first sent, when its counts are kept (see `counts`). */
export interface NotificationStats {
  name: string
  provider: NotificationPlan['provider']
  severity: Severity
  /** Messages the service accepted. */
  sent: number
  /** Messages given up on after their last attempt. */
  failed: number
  /** Messages dropped unsent: the queue was full, or the daemon stopped first with no outbox. */
  dropped: number
  /** Attempts made again after a failure. */
  retries: number
  /** Messages waiting, including one being sent. */
  queued: number
  lastSentAt: number | null
  /** The latest failure, without the secret URL. */
  lastError: string | null
  lastErrorAt: number | null
}

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
  post?: (
    url: string,
    payload: unknown,
    options: { timeoutMs: number; signal: AbortSignal },
  ) => Promise<Delivery>
  env?: NodeJS.ProcessEnv
  /** Where waiting messages are kept across restarts (none: they live in memory only). */
  outbox?: Outbox
  /** Where each notification's counts are kept across restarts (none: they start at zero). */
  counts?: CountsKeeper
}

/** What a notification's counts are made of, as kept across restarts. */
export type KeptCounts = Pick<
  NotificationStats,
  'sent' | 'failed' | 'dropped' | 'retries' | 'lastSentAt' | 'lastError' | 'lastErrorAt'
>

/**
 * A rollout's notification counts, by notification name, kept where a restart finds them. A failed
 * save costs only the counts since the last one.
 */
export interface CountsKeeper {
  load(): Record<string, KeptCounts>
  save(counts: Record<string, KeptCounts>): void
}

function keptOf(s: NotificationStats): KeptCounts {
  return {
    sent: s.sent,
    failed: s.failed,
    dropped: s.dropped,
    retries: s.retries,
    lastSentAt: s.lastSentAt,
    lastError: s.lastError,
    lastErrorAt: s.lastErrorAt,
  }
}

/**
 * Waiting messages kept where a restart finds them. A write that fails only costs the durability of
 * that message: it is still sent from memory.
 */
export interface Outbox {
  add(rollout: string, notice: Notice): number
  remove(id: number): void
  /** The rollout's waiting messages, oldest first. */
  pending(rollout: string): { id: number; notice: Notice }[]
}

interface Queued {
  notice: Notice
  /** Its row in the outbox, when it was kept there. */
  id: number | undefined
}

interface Lane {
  plan: NotificationPlan
  queue: Queued[]
  running: boolean
  stats: NotificationStats
}

const RANK: Record<Severity, number> = Object.fromEntries(
  SEVERITIES.map((s, i) => [s, i]),
) as Record<Severity, number>

/** Whether `plan` sends `event`: a reason it lists, at or above its severity. */
export function wants(plan: NotificationPlan, event: EngineEvent): boolean {
  return plan.events.includes(event.reason) && RANK[event.severity] >= RANK[plan.severity]
}

export class Notifier implements EventSink {
  readonly #lanes = new Map<string, Lane>()
  readonly #closing = new AbortController()
  readonly #idle = new Set<() => void>()
  readonly #maxQueued: number
  readonly #retryDelayMs: number
  readonly #maxRetryDelayMs: number
  readonly #now: () => number
  /** The counts kept from before this start, read once. */
  #kept: Record<string, KeptCounts> | undefined
  /** The counts as last saved (JSON), so an unchanged lane costs no write. */
  #savedText: string | undefined

  constructor(private readonly options: NotifierOptions) {
    this.#maxQueued = options.maxQueued ?? 100
    this.#retryDelayMs = options.retryDelayMs ?? 1000
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000
    this.#now = options.now ?? Date.now
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
          this.#forget(lane.queue.shift())
          lane.stats.dropped++
          this.options.log(
            `rollout ${rollout}: notification ${plan.name}: ${this.#maxQueued} messages waiting; dropped the oldest`,
          )
        }
        const notice = noticeOf(rollout, plan.name, e)
        lane.queue.push({ notice, id: this.#keep(rollout, notice) })
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
    const outbox = this.options.outbox
    if (outbox === undefined || this.#closing.signal.aborted) return
    let kept
    try {
      kept = outbox.pending(rollout)
    } catch (err) {
      this.options.log(
        `rollout ${rollout}: notifications kept from before the restart cannot be read: ${err instanceof Error ? err.message : String(err)}`,
      )
      return
    }
    if (kept.length === 0) return
    const plans = new Map(this.options.notifications().map((p) => [p.name, p]))
    const lanes = new Set<Lane>()
    for (const item of kept) {
      const plan = plans.get(item.notice.notification)
      if (plan === undefined) {
        this.#forget(item)
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

  #keep(rollout: string, notice: Notice): number | undefined {
    if (this.options.outbox === undefined) return undefined
    try {
      return this.options.outbox.add(rollout, notice)
    } catch (err) {
      this.options.log(
        `rollout ${rollout}: notification ${notice.notification}: ${notice.reason} kept in memory only (${err instanceof Error ? err.message : String(err)})`,
      )
      return undefined
    }
  }

  #forget(item: Queued | undefined): void {
    if (item?.id === undefined || this.options.outbox === undefined) return
    try {
      this.options.outbox.remove(item.id)
    } catch (err) {
      // Left in the outbox, it is sent once more after a restart: a repeat, never a loss.
      this.options.log(
        `notification ${item.notice.notification}: sent ${item.notice.reason} stays in the outbox (${err instanceof Error ? err.message : String(err)})`,
      )
    }
  }

  /** Every current notification's counts, and those of removed ones still sending. */
  stats(): NotificationStats[] {
    const plans = this.options.notifications()
    // Counts kept from before a restart show before anything is published.
    for (const plan of plans) if (this.#keptCounts()[plan.name] !== undefined) this.#lane(plan)
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
      lane = {
        plan,
        queue: [],
        running: false,
        stats: {
          name: plan.name,
          provider: plan.provider,
          severity: plan.severity,
          sent: 0,
          failed: 0,
          dropped: 0,
          retries: 0,
          queued: 0,
          lastSentAt: null,
          lastError: null,
          lastErrorAt: null,
          ...this.#keptCounts()[plan.name],
        },
      }
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

  #keptCounts(): Record<string, KeptCounts> {
    if (this.#kept !== undefined) return this.#kept
    this.#kept = {}
    try {
      this.#kept = this.options.counts?.load() ?? {}
    } catch (err) {
      this.options.log(
        `notification counts from before the restart cannot be read; they start at zero (${err instanceof Error ? err.message : String(err)})`,
      )
    }
    return this.#kept
  }

  /** Saves every lane's counts when they changed since the last save (and those of notifications not sending now). */
  #saveCounts(): void {
    const keeper = this.options.counts
    if (keeper === undefined) return
    const counts: Record<string, KeptCounts> = { ...this.#keptCounts() }
    for (const lane of this.#lanes.values()) counts[lane.plan.name] = keptOf(lane.stats)
    const text = JSON.stringify(counts)
    if (text === this.#savedText) return
    try {
      keeper.save(counts)
      this.#savedText = text
    } catch {
      // tried again at the next change; the counts in memory are still right
    }
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
          if (await this.#send(rollout, lane, item)) this.#forget(item)
        } catch (err) {
          this.#forget(item)
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
    const post = this.options.post ?? postJson
    for (let attempt = 0; ; attempt++) {
      let result: Delivery
      let secret: string | undefined
      try {
        secret = readWebhookUrl(plan.urlFrom, this.options.baseDir(), this.options.env)
        result = await post(secret, payload, {
          timeoutMs: plan.timeoutSeconds * 1000,
          signal: this.#closing.signal,
        })
      } catch (err) {
        // A missing secret is a setting to fix, not a moment to wait out.
        result =
          err instanceof SecretError
            ? { ok: false, retryable: false, error: `${err.message} (${err.hint})` }
            : {
                ok: false,
                retryable: true,
                error: err instanceof Error ? err.message : String(err),
              }
      }
      if (result.ok) {
        lane.stats.sent++
        lane.stats.lastSentAt = this.#now()
        this.#saveCounts()
        return true
      }
      const error = secret === undefined ? result.error : redact(result.error, secret)
      if (this.#closing.signal.aborted) {
        if (item.id === undefined) lane.stats.dropped++
        return false
      }
      if (!result.retryable || attempt >= plan.retries) {
        lane.stats.failed++
        lane.stats.lastError = error
        lane.stats.lastErrorAt = this.#now()
        this.#saveCounts()
        this.options.log(
          `rollout ${rollout}: notification ${plan.name} (${plan.provider}, ${describeSource(plan.urlFrom, this.options.baseDir())}): ${notice.reason} not sent after ${attempt + 1} attempt${attempt === 0 ? '' : 's'}: ${error}`,
        )
        return true
      }
      lane.stats.retries++
      this.#saveCounts()
      const backoff = Math.min(this.#retryDelayMs * 2 ** attempt, this.#maxRetryDelayMs)
      await this.#sleep(
        Math.min(Math.max(backoff, result.retryAfterMs ?? 0), this.#maxRetryDelayMs),
      )
      if (this.#closed()) {
        if (item.id === undefined) lane.stats.dropped++
        return false
      }
    }
  }

  /** A method, not the field: the sleep before it may have seen the notifier close. */
  #closed(): boolean {
    return this.#closing.signal.aborted
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#closing.signal
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      timer.unref()
      signal.addEventListener('abort', done, { once: true })
    })
  }
}
