/**
 * Outcomes the app reports per flag and variant (a request served, whether it failed, how long it
 * took), counted per second: what a flag rollout's analysis reads, as the proxy's counters are for
 * a process rollout. Kept in memory for the last ten minutes.
 */
import {
  addVersionTraffic,
  emptyVersionTraffic,
  recordRequest,
  type VersionTraffic,
} from '../../analysis/traffic.js'

const KEEP_SECONDS = 600

export interface Outcome {
  flag: string
  variant: string
  /** The request failed (for the analysis, like an HTTP 5xx). */
  error: boolean
  latencyMs?: number
  /** Epoch ms; now when absent. */
  at?: number
}

export class OutcomeCounters {
  /** flag → variant → second → counts */
  readonly #seconds = new Map<string, Map<string, Map<number, VersionTraffic>>>()

  record(outcome: Outcome, now: number): void {
    const second = Math.floor((outcome.at ?? now) / 1000)
    let variants = this.#seconds.get(outcome.flag)
    if (variants === undefined)
      this.#seconds.set(outcome.flag, (variants = new Map<string, Map<number, VersionTraffic>>()))
    let seconds = variants.get(outcome.variant)
    if (seconds === undefined)
      variants.set(outcome.variant, (seconds = new Map<number, VersionTraffic>()))
    let counts = seconds.get(second)
    if (counts === undefined) {
      seconds.set(second, (counts = emptyVersionTraffic()))
      for (const s of seconds.keys()) if (s < second - KEEP_SECONDS) seconds.delete(s)
    }
    recordRequest(counts, outcome.error ? 500 : 200, outcome.latencyMs ?? 0)
  }

  /** Counts of `variants` (all others with `others`) of a flag over [fromMs, toMs). */
  window(
    flag: string,
    select: (variant: string) => boolean,
    fromMs: number,
    toMs: number,
  ): VersionTraffic {
    const out = emptyVersionTraffic()
    for (const [variant, seconds] of this.#seconds.get(flag) ?? [])
      if (select(variant))
        for (const [second, counts] of seconds)
          if (second * 1000 >= fromMs && second * 1000 < toMs) addVersionTraffic(out, counts)
    return out
  }

  /** Lifetime totals per variant (of what is kept), for views. */
  totals(flag: string): Record<string, { requests: number; errors: number }> {
    const out: Record<string, { requests: number; errors: number }> = {}
    for (const [variant, seconds] of this.#seconds.get(flag) ?? []) {
      const t = { requests: 0, errors: 0 }
      for (const c of seconds.values()) {
        t.requests += c.requests
        t.errors += c.errors
      }
      out[variant] = t
    }
    return out
  }
}
