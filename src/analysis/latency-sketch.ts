/**
 * Latency as a relative-accuracy sketch (the log-bucketing of DDSketch): every quantile it gives is
 * within LATENCY_RELATIVE_ACCURACY of a latency really observed at that rank, sketches of two sets of
 * requests merge into exactly the sketch of their union, and it is plain JSON (it crosses processes).
 */

/** Every quantile read from a sketch is within this relative error of the exact one (0.5%). */
export const LATENCY_RELATIVE_ACCURACY = 0.005

const GAMMA = (1 + LATENCY_RELATIVE_ACCURACY) / (1 - LATENCY_RELATIVE_ACCURACY)
const LOG_GAMMA = Math.log(GAMMA)

/** Latencies at or below this (1 µs, under any timer's resolution here) are counted as zero. */
export const SKETCH_MIN_MS = 0.001
/** Latencies above this (about 28 hours) are counted in the top bin: its accuracy ends there. */
export const SKETCH_MAX_MS = 1e8
/** The top bin: the number of bins is bounded whatever is recorded (2,533 at 0.5%). */
export const SKETCH_MAX_BIN = Math.ceil(Math.log(SKETCH_MAX_MS / SKETCH_MIN_MS) / LOG_GAMMA)

export interface LatencySketch {
  /**
   * Requests by bin, sparse: bin k > 0 holds latencies in (MIN·γ^(k-1), MIN·γ^k] with
   * γ = (1+α)/(1-α). Keys are non-negative integers, so an object enumerates them in ascending order.
   */
  bins: Record<number, number>
  /** Requests at or below SKETCH_MIN_MS. */
  zero: number
  /** Requests recorded (zero plus every bin). */
  count: number
}

export function emptySketch(): LatencySketch {
  return { bins: {}, zero: 0, count: 0 }
}

/** The bin a latency falls into; 0 is the zero bin. */
export function sketchBin(latencyMs: number): number {
  if (!(latencyMs > SKETCH_MIN_MS)) return 0
  const k = Math.ceil(Math.log(latencyMs / SKETCH_MIN_MS) / LOG_GAMMA)
  return Math.min(Math.max(k, 1), SKETCH_MAX_BIN)
}

/** The value reported for bin k: within α of every latency the bin holds. */
export function binValue(k: number): number {
  if (k <= 0) return 0
  return (2 * SKETCH_MIN_MS * GAMMA ** k) / (GAMMA + 1)
}

/** Records one latency (mutates; for hot paths). */
export function addToSketch(s: LatencySketch, latencyMs: number): void {
  s.count++
  const k = sketchBin(latencyMs)
  if (k === 0) s.zero++
  else s.bins[k] = (s.bins[k] ?? 0) + 1
}

/** Adds `b` into `a` (mutates `a`): the sketch of the union of both sets of requests. */
export function mergeSketch(a: LatencySketch, b: LatencySketch): LatencySketch {
  a.count += b.count
  a.zero += b.zero
  for (const key in b.bins) {
    const k = Number(key)
    a.bins[k] = (a.bins[k] ?? 0) + (b.bins[k] ?? 0)
  }
  return a
}

export function copySketch(s: LatencySketch): LatencySketch {
  return mergeSketch(emptySketch(), s)
}

/**
 * `now - before` for two readings of one growing sketch (bins only grow, so this is exact); a bin
 * that went down (a restarted proxy) means `before` is not an earlier reading and `now` is returned.
 */
export function sketchSince(now: LatencySketch, before: LatencySketch): LatencySketch {
  const out = emptySketch()
  out.zero = now.zero - before.zero
  out.count = now.count - before.count
  for (const key in now.bins) {
    const k = Number(key)
    const d = (now.bins[k] ?? 0) - (before.bins[k] ?? 0)
    if (d > 0) out.bins[k] = d
  }
  for (const key in before.bins)
    if ((now.bins[Number(key)] ?? 0) < (before.bins[Number(key)] ?? 0)) return copySketch(now)
  return out.zero < 0 || out.count < 0 ? copySketch(now) : out
}

/**
 * The q-quantile (0..1): the latency of the request at rank ⌊q·(n−1)⌋ (0-based, ascending), within
 * α relative error. NaN when the sketch is empty.
 */
export function sketchQuantile(s: LatencySketch, q: number): number {
  if (s.count === 0) return Number.NaN
  const rank = Math.floor(Math.min(1, Math.max(0, q)) * (s.count - 1))
  let seen = s.zero
  if (seen > rank) return 0
  let last = 0
  for (const key in s.bins) {
    const k = Number(key)
    seen += s.bins[k] ?? 0
    last = k
    if (seen > rank) return binValue(k)
  }
  return binValue(last)
}

/** Requests whose latency, as the sketch knows it, is above `thresholdMs`. */
export function sketchCountAbove(s: LatencySketch, thresholdMs: number): number {
  let n = 0
  for (const key in s.bins) {
    const k = Number(key)
    if (binValue(k) > thresholdMs) n += s.bins[k] ?? 0
  }
  return thresholdMs < 0 ? n + s.zero : n
}

/** Bins in use: what a sketch's size grows with. */
export function sketchBins(s: LatencySketch): number {
  return Object.keys(s.bins).length
}
