/**
 * Latency as a relative-accuracy sketch (the log-bucketing of DDSketch): every quantile it gives is
 * within LATENCY_RELATIVE_ACCURACY of a latency really observed at that rank, sketches of two sets of
 * requests merge into exactly the sketch of their union, and it is plain JSON (it crosses processes).
 * Our own small implementation of the published algorithm: it needs no dependency.
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
   * Bins in use, ascending: bin k > 0 holds latencies in (MIN·γ^(k-1), MIN·γ^k] with γ = (1+α)/(1-α).
   * Sparse, as two parallel arrays of small integers: a second of traffic uses few bins of the
   * thousands possible, and arrays of integers are the most compact JSON and heap form.
   */
  keys: number[]
  /** Requests in each bin of `keys`, same order. */
  counts: number[]
  /** Requests at or below SKETCH_MIN_MS. */
  zero: number
  /** Requests recorded (zero plus every bin). */
  count: number
}

export function emptySketch(): LatencySketch {
  return { keys: [], counts: [], zero: 0, count: 0 }
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

/** Adds `n` requests to bin k > 0 (binary search; a new bin is inserted in order). */
function addToBin(s: LatencySketch, k: number, n: number): void {
  const keys = s.keys
  let lo = 0
  let hi = keys.length
  // Latencies cluster: the last bin used is the likeliest, check the top first.
  if (hi > 0 && (keys[hi - 1] as number) < k) lo = hi
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((keys[mid] as number) < k) lo = mid + 1
    else hi = mid
  }
  if (keys[lo] === k) s.counts[lo] = (s.counts[lo] as number) + n
  else {
    keys.splice(lo, 0, k)
    s.counts.splice(lo, 0, n)
  }
}

/** Records one latency (mutates; for hot paths). */
export function addToSketch(s: LatencySketch, latencyMs: number): void {
  s.count++
  const k = sketchBin(latencyMs)
  if (k === 0) s.zero++
  else addToBin(s, k, 1)
}

/** Adds `b` into `a` (mutates `a`): the sketch of the union of both sets of requests. */
export function mergeSketch(a: LatencySketch, b: LatencySketch): LatencySketch {
  a.count += b.count
  a.zero += b.zero
  if (b.keys.length === 0) return a
  // One pass over both ascending lists.
  const keys: number[] = []
  const counts: number[] = []
  let i = 0
  let j = 0
  while (i < a.keys.length || j < b.keys.length) {
    const ka = i < a.keys.length ? (a.keys[i] as number) : Number.POSITIVE_INFINITY
    const kb = j < b.keys.length ? (b.keys[j] as number) : Number.POSITIVE_INFINITY
    if (ka <= kb) {
      keys.push(ka)
      counts.push((a.counts[i++] as number) + (ka === kb ? (b.counts[j++] as number) : 0))
    } else {
      keys.push(kb)
      counts.push(b.counts[j++] as number)
    }
  }
  a.keys = keys
  a.counts = counts
  return a
}

export function copySketch(s: LatencySketch): LatencySketch {
  return { keys: [...s.keys], counts: [...s.counts], zero: s.zero, count: s.count }
}

/**
 * `now - before` for two readings of one growing sketch (bins only grow, so this is exact); a bin
 * that went down (a restarted proxy) means `before` is not an earlier reading and `now` is returned.
 */
export function sketchSince(now: LatencySketch, before: LatencySketch): LatencySketch {
  const out = emptySketch()
  out.zero = now.zero - before.zero
  out.count = now.count - before.count
  let j = 0
  for (let i = 0; i < now.keys.length; i++) {
    const k = now.keys[i] as number
    while (j < before.keys.length && (before.keys[j] as number) < k) {
      if ((before.counts[j] as number) > 0) return copySketch(now)
      j++
    }
    const earlier = before.keys[j] === k ? (before.counts[j++] as number) : 0
    const d = (now.counts[i] as number) - earlier
    if (d < 0) return copySketch(now)
    if (d > 0) {
      out.keys.push(k)
      out.counts.push(d)
    }
  }
  if (j < before.keys.length) return copySketch(now)
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
  for (let i = 0; i < s.keys.length; i++) {
    seen += s.counts[i] as number
    if (seen > rank) return binValue(s.keys[i] as number)
  }
  return binValue(s.keys.at(-1) ?? 0)
}

/** Requests whose latency, as the sketch knows it, is above `thresholdMs`. */
export function sketchCountAbove(s: LatencySketch, thresholdMs: number): number {
  let n = thresholdMs < 0 ? s.zero : 0
  for (let i = 0; i < s.keys.length; i++)
    if (binValue(s.keys[i] as number) > thresholdMs) n += s.counts[i] as number
  return n
}

/** Bins in use: what a sketch's size grows with. */
export function sketchBins(s: LatencySketch): number {
  return s.keys.length
}
