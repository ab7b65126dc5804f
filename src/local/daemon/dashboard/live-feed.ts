/**
 * The dashboard's live feed: an event sink on every rollout's runner that passes each persisted
 * event (with its stored id) to the browsers listening over SSE, and a sampler that sends each
 * rollout's numbers once a second and keeps the last minutes of them for charts opened later.
 */
import type { EventSink, StoredEvent } from '../../../controller/ports.js'
import type { EngineEvent } from '../../../engine/events.js'
import type { VersionTraffic } from '../../../analysis/traffic.js'
import { backendId } from '../../proxy/backend-id.js'
import type { StateStore } from '../../store/index.js'
import type { Supervisor } from '../../supervisor/index.js'
import { replicaSetKey, type RolloutController } from '../rollout-controller.js'
import {
  SlidingTraffic,
  evidenceOf,
  sideSample,
  summaryOf,
  verdictOf,
  WINDOW_SECONDS,
} from './samples.js'
import type { ReplicaSample, RolloutSample, RolloutSummary, VerdictSummary } from './wire.js'

/** What the feed reads: the daemon's rollouts, its store and its supervisor's replica sets. */
export interface LiveSources {
  readonly controllers: ReadonlyMap<string, RolloutController>
  readonly store: StateStore
  readonly supervisor: Pick<Supervisor, 'status'>
}

/** A browser listening: one SSE response. `send` writes one whole message. */
export interface StreamClient {
  send(text: string): void
}

/** Samples kept per rollout: 15 minutes, as much as the proxy's own ring holds. */
export const HISTORY_SAMPLES = 15 * 60

/** Verdicts looked for among a rollout's latest stored events when the feed first meets it. */
const VERDICT_LOOKBACK = 200

export function sseMessage(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

interface RolloutFeed {
  traffic: SlidingTraffic
  /** The proxy reading last folded in (a new object each time the controller reads the proxy). */
  lastReading: unknown
  history: RolloutSample[]
  lastVerdict: VerdictSummary | null
  /** Id of the last event sent for this rollout. */
  lastEventId: number
  /** When the rollout was first applied (read once). */
  createdAt: number
  /** The controller sampled; another one under the same name is a rollout deleted and made again. */
  controller: RolloutController | undefined
}

export class LiveFeed implements EventSink {
  readonly #clients = new Set<StreamClient>()
  readonly #rollouts = new Map<string, RolloutFeed>()
  #timer: NodeJS.Timeout | undefined
  #pingTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly sources: LiveSources,
    private readonly log: (line: string) => void,
  ) {}

  start(sampleMs = 1000, pingMs = 15_000): void {
    this.#timer = setInterval(() => this.sampleAll(), sampleMs)
    this.#timer.unref()
    // A comment line now and then keeps idle connections (and proxies between) from timing out.
    this.#pingTimer = setInterval(() => this.#broadcast(': ping\n\n'), pingMs)
    this.#pingTimer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
    clearInterval(this.#pingTimer)
    this.#clients.clear()
  }

  get listeners(): number {
    return this.#clients.size
  }

  /** The feed of `name`; a new one counts events up to `sentUpTo` (default: all stored) as sent. */
  #feed(name: string, sentUpTo?: number): RolloutFeed {
    let feed = this.#rollouts.get(name)
    if (feed === undefined) {
      const recent = this.sources.store.events.list(name, { limit: VERDICT_LOOKBACK })
      let lastVerdict: VerdictSummary | null = null
      for (const e of recent) lastVerdict = verdictOf(e) ?? lastVerdict
      feed = {
        traffic: new SlidingTraffic(WINDOW_SECONDS),
        lastReading: undefined,
        history: [],
        lastVerdict,
        lastEventId: sentUpTo ?? recent.at(-1)?.id ?? 0,
        createdAt: this.sources.store.rollouts.get(name)?.createdAt ?? 0,
        controller: undefined,
      }
      this.#rollouts.set(name, feed)
    }
    return feed
  }

  /**
   * The runner's sink: called right after `events` were saved, inside the rollout's queue, so the
   * newest stored events of the rollout are these, with their ids.
   */
  publish(rollout: string, events: EngineEvent[]): void {
    if (events.length === 0) return
    try {
      const stored = this.sources.store.events.list(rollout, { limit: events.length })
      const feed = this.#feed(rollout, (stored[0]?.id ?? 1) - 1)
      for (const e of stored) this.#sendEvent(feed, e)
    } catch (err) {
      // The dashboard misses these events; a browser re-reads the view when it reconnects.
      this.log(`dashboard: could not read events of ${rollout}: ${String(err)}`)
    }
  }

  #sendEvent(feed: RolloutFeed, e: StoredEvent): void {
    if (e.id <= feed.lastEventId) return
    feed.lastEventId = e.id
    feed.lastVerdict = verdictOf(e) ?? feed.lastVerdict
    this.#broadcast(sseMessage('rollout-event', e, e.id))
  }

  /**
   * Adds a browser. With `lastEventId` (a reconnect), first sends every stored event it missed;
   * returns the function that removes it.
   */
  subscribe(client: StreamClient, lastEventId?: number): () => void {
    if (lastEventId !== undefined) {
      const missed = [...this.sources.controllers.keys()]
        .flatMap((name) => this.sources.store.events.list(name, { sinceId: lastEventId }))
        .sort((a, b) => a.id - b.id)
      for (const e of missed) client.send(sseMessage('rollout-event', e, e.id))
    }
    this.#clients.add(client)
    return () => this.#clients.delete(client)
  }

  #broadcast(text: string): void {
    for (const c of this.#clients) {
      try {
        c.send(text)
      } catch {
        this.#clients.delete(c)
      }
    }
  }

  /** The samples kept for `name`, oldest first. */
  history(name: string): RolloutSample[] {
    return this.#rollouts.get(name)?.history ?? []
  }

  /** Every rollout's list row, most in need of attention first, then by name. */
  summaries(): RolloutSummary[] {
    return [...this.sources.controllers.values()]
      .map((c) => this.#summary(c, this.#replicas(c)))
      .sort((a, b) => a.attention - b.attention || a.name.localeCompare(b.name))
  }

  #replicas(c: RolloutController): { replicas: ReplicaSample[]; crashLooping: boolean } {
    const s = c.status
    const revisions = new Set<number>(Object.keys(s.replicas).map(Number))
    if (s.stableRevision !== null) revisions.add(s.stableRevision)
    if (s.canaryRevision !== null) revisions.add(s.canaryRevision)
    let crashLooping = false
    const replicas = [...revisions]
      .sort((a, b) => a - b)
      .map((revision): ReplicaSample => {
        const set = this.sources.supervisor.status(replicaSetKey(c.name, revision))
        if (set?.crashLooping === true) crashLooping = true
        return {
          revision,
          role:
            revision === s.stableRevision
              ? 'stable'
              : revision === s.canaryRevision
                ? 'canary'
                : 'old',
          desired: set?.desired ?? 0,
          ready: set?.ready ?? 0,
        }
      })
    return { replicas, crashLooping }
  }

  #summary(
    c: RolloutController,
    { replicas, crashLooping }: { replicas: ReplicaSample[]; crashLooping: boolean },
  ): RolloutSummary {
    const feed = this.#feed(c.name)
    return summaryOf(
      c.name,
      c.status,
      c.plan,
      feed.createdAt,
      feed.lastVerdict,
      replicas,
      crashLooping,
    )
  }

  /** Takes one sample of every rollout and sends it; forgets rollouts that were deleted. */
  sampleAll(now = Date.now()): void {
    for (const [name, feed] of this.#rollouts) {
      const c = this.sources.controllers.get(name)
      if (c === undefined || (feed.controller !== undefined && feed.controller !== c)) {
        this.#rollouts.delete(name)
        this.#broadcast(sseMessage('rollout-deleted', { rollout: name }))
      }
    }
    for (const c of this.sources.controllers.values()) {
      try {
        this.#broadcast(sseMessage('sample', this.#sample(c, now)))
      } catch (err) {
        this.log(`dashboard: could not sample ${c.name}: ${String(err)}`)
      }
    }
  }

  #sample(c: RolloutController, now: number): RolloutSample {
    const feed = this.#feed(c.name)
    feed.controller = c
    const reading = c.proxy?.traffic
    if (reading !== undefined && reading !== feed.lastReading) {
      feed.lastReading = reading
      const totals = new Map<string, VersionTraffic>()
      for (const b of reading.backends()) totals.set(b, reading.totals(b))
      feed.traffic.add(totals)
    }
    const s = c.status
    const side = (revision: number | null) =>
      revision === null ? null : sideSample(revision, feed.traffic.window(backendId(revision)))
    const replicas = this.#replicas(c)
    const sample: RolloutSample = {
      rollout: c.name,
      at: now,
      summary: this.#summary(c, replicas),
      windowSeconds: feed.traffic.windowSeconds,
      stable: side(s.stableRevision),
      canary: side(s.canaryRevision),
      evidence: evidenceOf(s),
      replicas: replicas.replicas,
    }
    feed.history.push(sample)
    if (feed.history.length > HISTORY_SAMPLES) feed.history.shift()
    return sample
  }
}
