/**
 * Per-version traffic counts over a window: what the proxy records, the builtin metric provider returns,
 * the simulator synthesises and the sequential judge compares. One shape for all of them.
 */
import {
  addToSketch,
  copySketch,
  emptySketch,
  mergeSketch,
  sketchCountAbove,
  sketchQuantile,
  type LatencySketch,
} from './latency-sketch.js'

/**
 * Upper bounds (ms, inclusive) of the classic latency histogram buckets; a final +Inf bucket follows.
 * Prometheus export and traffic read from Prometheus use them; quantiles come from the sketch.
 */
export const LATENCY_BUCKETS_MS = [
  1, 2, 5, 10, 25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000,
  10000,
] as const

export interface VersionTraffic {
  /** Requests answered (or failed) in the window. */
  requests: number
  /** Requests that failed: HTTP 5xx, or no response at all (connection refused, reset, timeout). */
  errors: number
  /** Counts per status class; `failed` is requests with no HTTP response. */
  statusClasses: {
    '1xx': number
    '2xx': number
    '3xx': number
    '4xx': number
    '5xx': number
    failed: number
  }
  /**
   * Non-cumulative counts per latency bucket: index i counts requests with
   * LATENCY_BUCKETS_MS[i-1] < latency <= LATENCY_BUCKETS_MS[i]; the last index is +Inf.
   * Length is LATENCY_BUCKETS_MS.length + 1.
   */
  latencyBuckets: number[]
  /**
   * The latency of every request counted, as a sketch (./latency-sketch.ts). Absent when latencies
   * are known only as histogram buckets (traffic read from Prometheus): quantiles are then
   * interpolated inside a bucket.
   */
  latencySketch?: LatencySketch
  /** Sum of latencies in ms, for means. */
  latencySumMs: number
}

/** Traffic of both sides of a rollout over one window [from, to) in epoch milliseconds. */
export interface TrafficSample {
  from: number
  to: number
  canary: VersionTraffic
  stable: VersionTraffic
}

export function emptyVersionTraffic(): VersionTraffic {
  return {
    requests: 0,
    errors: 0,
    statusClasses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, failed: 0 },
    latencyBuckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
    latencySketch: emptySketch(),
    latencySumMs: 0,
  }
}

/** Counts that may carry a latency sketch: traffic, and the sequential judge's segments. */
interface Sketched {
  requests: number
  latencySketch?: LatencySketch
}

/**
 * Folds `b`'s sketch into `a`'s, before `a.requests` is increased. A sketch is kept only while it
 * holds every request counted: once requests without one are added, quantiles fall back to buckets.
 */
export function addSketchOf(a: Sketched, b: Sketched): void {
  if (a.latencySketch !== undefined) {
    if (b.latencySketch !== undefined) mergeSketch(a.latencySketch, b.latencySketch)
    else if (b.requests > 0) delete a.latencySketch
  } else if (a.requests === 0 && b.latencySketch !== undefined) {
    a.latencySketch = copySketch(b.latencySketch)
  }
}

/** Index of the histogram bucket a latency falls into. */
export function latencyBucketIndex(latencyMs: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
    if (latencyMs <= (LATENCY_BUCKETS_MS[i] as number)) return i
  }
  return LATENCY_BUCKETS_MS.length
}

/** Records one request into `into` (mutates; for hot paths). `status` 0 means no HTTP response. */
export function recordRequest(into: VersionTraffic, status: number, latencyMs: number): void {
  into.requests++
  if (status === 0) {
    into.statusClasses.failed++
    into.errors++
  } else {
    const cls =
      status >= 500
        ? '5xx'
        : status >= 400
          ? '4xx'
          : status >= 300
            ? '3xx'
            : status >= 200
              ? '2xx'
              : '1xx'
    into.statusClasses[cls]++
    if (cls === '5xx') into.errors++
  }
  const idx = latencyBucketIndex(latencyMs)
  into.latencyBuckets[idx] = (into.latencyBuckets[idx] ?? 0) + 1
  if (into.latencySketch !== undefined) addToSketch(into.latencySketch, latencyMs)
  into.latencySumMs += latencyMs
}

/** Adds `b` into `a` (mutates `a`) and returns it. */
export function addVersionTraffic(a: VersionTraffic, b: VersionTraffic): VersionTraffic {
  addSketchOf(a, b)
  a.requests += b.requests
  a.errors += b.errors
  for (const k of Object.keys(a.statusClasses) as (keyof VersionTraffic['statusClasses'])[]) {
    a.statusClasses[k] += b.statusClasses[k]
  }
  for (let i = 0; i < a.latencyBuckets.length; i++) {
    a.latencyBuckets[i] = (a.latencyBuckets[i] ?? 0) + (b.latencyBuckets[i] ?? 0)
  }
  a.latencySumMs += b.latencySumMs
  return a
}

/** Where a latency quantile comes from: the sketch, or interpolation inside histogram buckets. */
export function quantileSource(t: {
  latencySketch?: LatencySketch | undefined
}): 'sketch' | 'interpolated' {
  return t.latencySketch === undefined ? 'interpolated' : 'sketch'
}

/** Said after a quantile that was interpolated, so nobody reads it as measured. */
export function interpolatedNote(t: { latencySketch?: LatencySketch | undefined }): string {
  return quantileSource(t) === 'sketch' ? '' : ' (interpolated from histogram buckets)'
}

/**
 * Latency quantile (0..1): from the sketch when there is one (within LATENCY_RELATIVE_ACCURACY),
 * else estimated from the histogram by linear interpolation inside the bucket, as Prometheus'
 * histogram_quantile does. NaN when there are no requests.
 */
export function latencyQuantile(t: VersionTraffic, q: number): number {
  if (t.latencySketch !== undefined) return sketchQuantile(t.latencySketch, q)
  const total = t.latencyBuckets.reduce((s, c) => s + c, 0)
  if (total === 0) return Number.NaN
  const rank = q * total
  let seen = 0
  for (let i = 0; i < t.latencyBuckets.length; i++) {
    const count = t.latencyBuckets[i] ?? 0
    if (seen + count >= rank && count > 0) {
      const lower = i === 0 ? 0 : (LATENCY_BUCKETS_MS[i - 1] as number)
      if (i >= LATENCY_BUCKETS_MS.length) return lower
      const upper = LATENCY_BUCKETS_MS[i] as number
      return lower + ((upper - lower) * (rank - seen)) / count
    }
    seen += count
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] as number
}

/**
 * Requests slower than `thresholdMs`: from the sketch when there is one, else counted from whole
 * buckets above the bucket holding the threshold.
 */
export function requestsSlowerThan(t: VersionTraffic, thresholdMs: number): number {
  if (t.latencySketch !== undefined) return sketchCountAbove(t.latencySketch, thresholdMs)
  const idx = latencyBucketIndex(thresholdMs)
  let n = 0
  for (let i = idx + 1; i < t.latencyBuckets.length; i++) n += t.latencyBuckets[i] ?? 0
  return n
}
