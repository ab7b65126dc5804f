/**
 * A small open-loop load generator: sends requests at a fixed rate (scheduled by the clock, not by
 * completions), never more than `concurrencyCap` at once, for a bounded time, and stops by itself.
 * It tallies answers per status and per `x-kanari-backend`. Used by the demo and the benchmarks.
 */
import { Pool } from 'undici'

export interface LoadResult {
  status: number
  /** The `x-kanari-backend` header of the answer, when it came through Kanari's proxy. */
  backend: string | undefined
  latencyMs: number
}

export interface LoadOptions {
  url: string
  rps: number
  durationMs: number
  concurrencyCap: number
  headers?: Record<string, string>
  signal?: AbortSignal
  onResult?: (r: LoadResult) => void
}

export interface LoadSummary {
  sent: number
  /** Requests not sent because `concurrencyCap` were already in flight. */
  skipped: number
  failed: number
  byStatus: Record<string, number>
  byBackend: Record<string, number>
  latencyMs: { p50: number; p99: number; max: number }
  seconds: number
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const target = new URL(options.url)
  const pool = new Pool(target.origin, {
    connections: options.concurrencyCap,
    keepAliveTimeout: 10_000,
  })
  const path = `${target.pathname}${target.search}`
  const latencies: number[] = []
  const summary: LoadSummary = {
    sent: 0,
    skipped: 0,
    failed: 0,
    byStatus: {},
    byBackend: {},
    latencyMs: { p50: 0, p99: 0, max: 0 },
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
      .request({ path, method: 'GET', headers: options.headers ?? {} })
      .then(async (res) => {
        await res.body.dump()
        const backend = res.headers['x-kanari-backend']
        return { status: res.statusCode, backend: Array.isArray(backend) ? backend[0] : backend }
      })
      .catch(() => ({ status: 0, backend: undefined }))
      .then(({ status, backend }) => {
        const latencyMs = performance.now() - t0
        inFlight--
        if (latencies.length < 1_000_000) latencies.push(latencyMs)
        summary.byStatus[String(status)] = (summary.byStatus[String(status)] ?? 0) + 1
        if (backend !== undefined)
          summary.byBackend[backend] = (summary.byBackend[backend] ?? 0) + 1
        if (status === 0 || status >= 500) summary.failed++
        options.onResult?.({ status, backend, latencyMs })
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
    p99: quantile(latencies, 0.99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
  }
  summary.seconds = (performance.now() - started) / 1000
  return summary
}
