/**
 * Per-backend request counters in per-second buckets (a ring of the last 15 minutes) plus lifetime
 * totals: what the proxy records on its hot path and the builtin metrics read back as windows.
 * Answers to mirrored (shadow) requests are kept apart from user requests: users never saw them, so
 * they are not in the user totals, but they are how a version behaved, so analysis windows include
 * them — a dark launch or a blue-green preview fed by mirroring is measured on its shadow traffic.
 */
import { RouteCounts } from './route-counts.js'
import type { TrafficReader } from './traffic-reader.js'
import {
  addVersionTraffic,
  emptyVersionTraffic,
  recordRequest,
  type VersionTraffic,
} from '../../analysis/traffic.js'

const RING_SECONDS = 15 * 60

/**
 * Answers the proxy gives itself, never the app's: no revision serving, no ready endpoint, the
 * endpoint refused the connection (nothing listening), or the client went away first. They are
 * counted apart and never enter analysis as the app's errors.
 */
export const PROXY_ANSWER_REASONS = [
  'no-backend',
  'no-ready-endpoint',
  'connection-refused',
  'client-closed',
] as const
export type ProxyAnswerReason = (typeof PROXY_ANSWER_REASONS)[number]

/** The backend name proxy answers are filed under when no backend was chosen. */
export const NO_BACKEND = 'none'

interface BackendSeries {
  /** Ring of per-second buckets; `seconds[i]` is the epoch second bucket i holds (or -1). */
  buckets: VersionTraffic[]
  seconds: number[]
  totals: VersionTraffic
  mirrored: number
  mirrorDropped: number
}

export class TrafficRecorder implements TrafficReader {
  /** Requests by method, path and status per backend, for diagnoses (user and mirrored alike). */
  readonly routes = new RouteCounts()
  readonly #series = new Map<string, BackendSeries>()
  readonly #shadow = new Map<string, BackendSeries>()
  readonly #proxyAnswers = new Map<string, Record<ProxyAnswerReason, number>>()

  #get(backend: string, map = this.#series): BackendSeries {
    let s = map.get(backend)
    if (s === undefined) {
      s = {
        buckets: Array.from({ length: RING_SECONDS }, emptyVersionTraffic),
        seconds: new Array<number>(RING_SECONDS).fill(-1),
        totals: emptyVersionTraffic(),
        mirrored: 0,
        mirrorDropped: 0,
      }
      map.set(backend, s)
    }
    return s
  }

  /** Records one user request answered by `backend` (status 0 = no response). */
  record(backend: string, status: number, latencyMs: number, now = Date.now()): void {
    this.#add(this.#get(backend), status, latencyMs, now)
  }

  /** Records the answer to a mirrored copy of a request (status 0 = no response). */
  recordShadow(backend: string, status: number, latencyMs: number, now = Date.now()): void {
    this.#add(this.#get(backend, this.#shadow), status, latencyMs, now)
  }

  #add(s: BackendSeries, status: number, latencyMs: number, now: number): void {
    const second = Math.floor(now / 1000)
    const i = second % RING_SECONDS
    let bucket = s.buckets[i] as VersionTraffic
    if (s.seconds[i] !== second) {
      bucket = emptyVersionTraffic()
      s.buckets[i] = bucket
      s.seconds[i] = second
    }
    recordRequest(bucket, status, latencyMs)
    recordRequest(s.totals, status, latencyMs)
  }

  /** Records an answer the proxy gave itself (see PROXY_ANSWER_REASONS); not the app's. */
  recordProxyAnswer(backend: string, reason: ProxyAnswerReason): void {
    let counts = this.#proxyAnswers.get(backend)
    if (counts === undefined) {
      counts = {
        'no-backend': 0,
        'no-ready-endpoint': 0,
        'connection-refused': 0,
        'client-closed': 0,
      }
      this.#proxyAnswers.set(backend, counts)
    }
    counts[reason]++
  }

  /** Lifetime answers the proxy gave itself for `backend`, by reason. */
  proxyAnswers(backend: string): Readonly<Record<ProxyAnswerReason, number>> | undefined {
    return this.#proxyAnswers.get(backend)
  }

  /** Backends with proxy answers (including NO_BACKEND). */
  proxyAnswerBackends(): string[] {
    return [...this.#proxyAnswers.keys()]
  }

  recordMirror(backend: string, dropped: boolean): void {
    const s = this.#get(backend)
    if (dropped) s.mirrorDropped++
    else s.mirrored++
  }

  /**
   * How `backend` answered in the whole seconds [fromMs, toMs) still held by the ring: user requests
   * and the answers to mirrored ones.
   */
  window(backend: string, fromMs: number, toMs: number): VersionTraffic {
    const out = emptyVersionTraffic()
    const from = Math.max(Math.floor(fromMs / 1000), Math.floor(toMs / 1000) - RING_SECONDS + 1)
    const to = Math.ceil(toMs / 1000)
    for (const map of [this.#series, this.#shadow]) {
      const s = map.get(backend)
      if (s === undefined) continue
      for (let second = from; second < to; second++) {
        const i = second % RING_SECONDS
        if (s.seconds[i] === second) addVersionTraffic(out, s.buckets[i] as VersionTraffic)
      }
    }
    return out
  }

  /** Lifetime answers to mirrored requests. */
  shadowTotals(backend: string): VersionTraffic {
    return this.#shadow.get(backend)?.totals ?? emptyVersionTraffic()
  }

  /** Lifetime user requests (mirrored copies are not counted). */
  totals(backend: string): VersionTraffic {
    return this.#series.get(backend)?.totals ?? emptyVersionTraffic()
  }

  mirrors(backend: string): { mirrored: number; dropped: number } {
    const s = this.#series.get(backend)
    return { mirrored: s?.mirrored ?? 0, dropped: s?.mirrorDropped ?? 0 }
  }

  backends(): string[] {
    return [...this.#series.keys()]
  }
}
