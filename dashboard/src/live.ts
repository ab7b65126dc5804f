/**
 * The live state of the page: one EventSource on the daemon's stream, reconnecting on its own, and
 * what it has said — each rollout's summary, its recent samples, the events as they are stored.
 * React reads it through useLive(); pages re-read their rollout's view when its events arrive.
 */
import { useSyncExternalStore } from 'react'
import { api, type RolloutSample, type RolloutSummary, type StoredEvent } from './api.js'

export type Connection = 'connecting' | 'live' | 'reconnecting'

/** Samples kept per rollout in the page (15 minutes at one a second). */
const MAX_SAMPLES = 900

interface Snapshot {
  connection: Connection
  summaries: RolloutSummary[]
  /** Bumped whenever anything changes, so React sees a new snapshot. */
  version: number
}

type EventListener = (e: StoredEvent) => void

class LiveStore {
  #snapshot: Snapshot = { connection: 'connecting', summaries: [], version: 0 }
  readonly #listeners = new Set<() => void>()
  readonly #eventListeners = new Set<EventListener>()
  readonly #resyncListeners = new Set<() => void>()
  readonly #summaries = new Map<string, RolloutSummary>()
  readonly #samples = new Map<string, RolloutSample[]>()
  #source: EventSource | undefined
  #retryTimer: number | undefined
  #lastError = false

  start(): void {
    if (this.#source !== undefined) return
    this.#connect()
  }

  #connect(): void {
    const es = new EventSource('/api/v1/dashboard/stream')
    this.#source = es
    es.onopen = () => {
      // After a drop the stream resumed, but samples were missed: read everything again.
      const wasDown = this.#lastError
      this.#lastError = false
      this.#set({ connection: 'live' })
      void this.refreshSummaries()
      if (wasDown) for (const l of this.#resyncListeners) l()
    }
    es.onerror = () => {
      this.#lastError = true
      this.#set({ connection: 'reconnecting' })
      // The browser retries by itself unless the daemon answered with an error; then we do.
      if (es.readyState === EventSource.CLOSED) {
        es.close()
        window.clearTimeout(this.#retryTimer)
        this.#retryTimer = window.setTimeout(() => this.#connect(), 2000)
      }
    }
    es.addEventListener('sample', (m: MessageEvent<string>) => {
      const s = JSON.parse(m.data) as RolloutSample
      this.#summaries.set(s.rollout, s.summary)
      const list = this.#samples.get(s.rollout)
      if (list !== undefined) this.#samples.set(s.rollout, [...list, s].slice(-MAX_SAMPLES))
      this.#publishSummaries()
    })
    es.addEventListener('rollout-event', (m: MessageEvent<string>) => {
      const e = JSON.parse(m.data) as StoredEvent
      if (!this.#summaries.has(e.rollout)) void this.refreshSummaries()
      for (const l of this.#eventListeners) l(e)
    })
    es.addEventListener('rollout-deleted', (m: MessageEvent<string>) => {
      const { rollout } = JSON.parse(m.data) as { rollout: string }
      this.#summaries.delete(rollout)
      this.#samples.delete(rollout)
      this.#publishSummaries()
    })
  }

  async refreshSummaries(): Promise<void> {
    try {
      const items = await api.summaries()
      this.#summaries.clear()
      for (const s of items) this.#summaries.set(s.name, s)
      this.#publishSummaries()
    } catch {
      // The stream's error handler reports the connection; the next sample fills the list in.
    }
  }

  #publishSummaries(): void {
    const summaries = [...this.#summaries.values()].sort(
      (a, b) => a.attention - b.attention || a.name.localeCompare(b.name),
    )
    this.#set({ summaries })
  }

  #set(patch: Partial<Snapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...patch, version: this.#snapshot.version + 1 }
    for (const l of this.#listeners) l()
  }

  /** Starts keeping samples of `name`, beginning with what the daemon kept. */
  async watchSamples(name: string): Promise<void> {
    const history = await api.samples(name)
    const live = this.#samples.get(name) ?? []
    const lastAt = history.at(-1)?.at ?? 0
    this.#samples.set(name, [...history, ...live.filter((s) => s.at > lastAt)].slice(-MAX_SAMPLES))
    this.#set({})
  }

  samples(name: string): RolloutSample[] {
    return this.#samples.get(name) ?? []
  }

  onEvent(l: EventListener): () => void {
    this.#eventListeners.add(l)
    return () => this.#eventListeners.delete(l)
  }

  /** Called after the stream came back from a drop: views should be read again. */
  onResync(l: () => void): () => void {
    this.#resyncListeners.add(l)
    return () => this.#resyncListeners.delete(l)
  }

  subscribe = (l: () => void): (() => void) => {
    this.#listeners.add(l)
    return () => this.#listeners.delete(l)
  }

  getSnapshot = (): Snapshot => this.#snapshot
}

export const live = new LiveStore()

export function useLive(): Snapshot {
  return useSyncExternalStore(live.subscribe, live.getSnapshot)
}
