/**
 * A small open-loop load generator: sends requests at a fixed rate (scheduled by the clock, not by
 * completions), never more than `concurrencyCap` at once, for a bounded time, and stops by itself.
 * It tallies answers per status and per `x-kanari-backend`, and why requests got no answer. Used by
 * `kanari loadtest`, load-test webhooks, the demo and the benchmarks.
 */
import { Pool } from 'undici'

export interface LoadResult {
  /** The answer's status; 0 when none came (see `error`). */
  status: number
  /** The `x-kanari-backend` header of the answer, when it came through Kanari's proxy. */
  backend: string | undefined
  latencyMs: number
  /** Why no answer came: "connection refused", "timeout", … */
  error?: string
}

export interface LoadOptions {
  url: string
  rps: number
  durationMs: number
  concurrencyCap: number
  method?: string
  headers?: Record<string, string>
  body?: string
  /** A request with no answer by then counts as a timeout (default 10 s). */
  requestTimeoutMs?: number
  signal?: AbortSignal
  onResult?: (r: LoadResult) => void
}

export interface LoadSummary {
  sent: number
  /** Requests not sent because `concurrencyCap` were already in flight. */
  skipped: number
  /** Requests that got a 5xx or no answer. */
  failed: number
  /** Answers per status; "0" counts requests that got none. */
  byStatus: Record<string, number>
  byBackend: Record<string, number>
  /** Requests that got no answer, by why. */
  errors: Record<string, number>
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number }
  seconds: number
}

/** Requests sent, answered and failed so far: the progress of a run, counted from its results. */
export interface LoadProgress {
  sent: number
  answered: number
  failed: number
}

export function countResult(progress: LoadProgress, r: LoadResult): void {
  progress.sent++
  if (r.status !== 0) progress.answered++
  if (r.status === 0 || r.status >= 500) progress.failed++
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

/** Why a request got no answer, in a few words that group alike failures. */
function errorKind(err: unknown): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string } }
  const code = e.code ?? e.cause?.code
  if (e.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout'
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'timeout'
  if (e.name === 'AbortError' || code === 'UND_ERR_ABORTED') return 'aborted'
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found'
  return code ?? 'request failed'
}

export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const target = new URL(options.url)
  const pool = new Pool(target.origin, {
    connections: options.concurrencyCap,
    keepAliveTimeout: 10_000,
  })
  const path = `${target.pathname}${target.search}`
  const method = (options.method ?? 'GET') as 'GET'
  const timeoutMs = options.requestTimeoutMs ?? 10_000
  const latencies: number[] = []
  let latencySum = 0
  const summary: LoadSummary = {
    sent: 0,
    skipped: 0,
    failed: 0,
    byStatus: {},
    byBackend: {},
    errors: {},
    latencyMs: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 },
    seconds: 0,
  }
  let inFlight = 0
  const started = performance.now()
  const pending = new Set<Promise<void>>()

  const fire = (): void => {
    const t0 = performance.now()
    inFlight++
    summary.sent++
    const p = pool
      .request({
        path,
        method,
        headers: options.headers ?? {},
        ...(options.body === undefined ? {} : { body: options.body }),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      })
      .then(async (res): Promise<Omit<LoadResult, 'latencyMs'>> => {
        await res.body.dump()
        const backend = res.headers['x-kanari-backend']
        return { status: res.statusCode, backend: Array.isArray(backend) ? backend[0] : backend }
      })
      .catch((err: unknown) => ({ status: 0, backend: undefined, error: errorKind(err) }))
      .then((r) => {
        const latencyMs = performance.now() - t0
        inFlight--
        if (latencies.length < 1_000_000) latencies.push(latencyMs)
        latencySum += latencyMs
        summary.byStatus[String(r.status)] = (summary.byStatus[String(r.status)] ?? 0) + 1
        if (r.backend !== undefined)
          summary.byBackend[r.backend] = (summary.byBackend[r.backend] ?? 0) + 1
        if (r.error !== undefined) summary.errors[r.error] = (summary.errors[r.error] ?? 0) + 1
        if (r.status === 0 || r.status >= 500) summary.failed++
        options.onResult?.({ ...r, latencyMs })
      })
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }

  await new Promise<void>((resolve) => {
    let due = 0
    const timer = setInterval(() => {
      const elapsed = performance.now() - started
      if (elapsed >= options.durationMs || options.signal?.aborted === true) {
        clearInterval(timer)
        resolve()
        return
      }
      const target = Math.floor((elapsed * options.rps) / 1000)
      while (due < target) {
        due++
        if (inFlight >= options.concurrencyCap) summary.skipped++
        else fire()
      }
    }, 5)
  })
  await Promise.all([...pending])
  await pool.close()
  latencies.sort((a, b) => a - b)
  summary.latencyMs = {
    p50: quantile(latencies, 0.5),
    p90: quantile(latencies, 0.9),
    p99: quantile(latencies, 0.99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    mean: latencies.length === 0 ? Number.NaN : latencySum / latencies.length,
  }
  summary.seconds = (performance.now() - started) / 1000
  return summary
}
