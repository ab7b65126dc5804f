/**
 * Requests per backend by method, path and status, in per-second buckets over the last 15 minutes:
 * what a diagnosis compares between canary and stable over the same window. Paths lose their query
 * and their variable segments (numbers, ids), and each backend keeps a bounded number of distinct
 * keys per second — past it, requests count under the path `(other)`.
 */

const RING_SECONDS = 15 * 60
/** Distinct method/path/status keys one backend keeps per second. */
export const MAX_KEYS_PER_SECOND = 200
export const OTHER_PATH = '(other)'
const MAX_PATH_CHARS = 200

/** A path as counted: no query, variable segments as `:id`, bounded length. */
export function routePath(url: string): string {
  const q = url.indexOf('?')
  let path = q < 0 ? url : url.slice(0, q)
  if (path.length > MAX_PATH_CHARS) path = path.slice(0, MAX_PATH_CHARS)
  // Only paths with digits can hold ids; the common case costs one test.
  if (!/\d/.test(path)) return path
  return path
    .split('/')
    .map((seg) =>
      /^\d+$/.test(seg) ||
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(seg) ||
      (/^[0-9a-z_-]{16,}$/i.test(seg) && /\d/.test(seg))
        ? ':id'
        : seg,
    )
    .join('/')
}

export interface RouteCount {
  method: string
  path: string
  status: number
  count: number
}

interface Series {
  buckets: (Map<string, number> | undefined)[]
  seconds: number[]
}

export class RouteCounts {
  readonly #series = new Map<string, Series>()

  record(backend: string, method: string, url: string, status: number, now = Date.now()): void {
    let s = this.#series.get(backend)
    if (s === undefined) {
      s = {
        buckets: new Array<Map<string, number> | undefined>(RING_SECONDS),
        seconds: new Array<number>(RING_SECONDS).fill(-1),
      }
      this.#series.set(backend, s)
    }
    const second = Math.floor(now / 1000)
    const i = second % RING_SECONDS
    let bucket = s.buckets[i]
    if (bucket === undefined || s.seconds[i] !== second) {
      bucket = new Map()
      s.buckets[i] = bucket
      s.seconds[i] = second
    }
    let key = `${status} ${method} ${routePath(url)}`
    if (!bucket.has(key) && bucket.size >= MAX_KEYS_PER_SECOND)
      key = `${status} ${method} ${OTHER_PATH}`
    bucket.set(key, (bucket.get(key) ?? 0) + 1)
  }

  /** Counts of `backend` over the whole seconds [fromMs, toMs) still held, most requests first. */
  window(backend: string, fromMs: number, toMs: number): RouteCount[] {
    const s = this.#series.get(backend)
    if (s === undefined) return []
    const from = Math.max(Math.floor(fromMs / 1000), Math.floor(toMs / 1000) - RING_SECONDS + 1)
    const to = Math.ceil(toMs / 1000)
    const sum = new Map<string, number>()
    for (let second = from; second < to; second++) {
      const i = second % RING_SECONDS
      const bucket = s.buckets[i]
      if (bucket === undefined || s.seconds[i] !== second) continue
      for (const [key, n] of bucket) sum.set(key, (sum.get(key) ?? 0) + n)
    }
    return [...sum]
      .map(([key, count]) => {
        const first = key.indexOf(' ')
        const second = key.indexOf(' ', first + 1)
        return {
          status: Number(key.slice(0, first)),
          method: key.slice(first + 1, second),
          path: key.slice(second + 1),
          count,
        }
      })
      .sort((a, b) => b.count - a.count)
  }
}
