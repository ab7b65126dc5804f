/**
 * The per-version request breakdown: status codes by method and path, canary against stable over the
 * same window, as the proxy counted them. Failures the canary has a larger share of come first, e.g.
 * `GET /cart 500: canary 37, stable 0`.
 */
import type { Redactor } from './redact.js'
import { REPORT_LIMITS, type RequestBreakdown, type RequestRow } from './report.js'

/** Requests of one method, path and status, as a proxy counts them. */
export interface RouteCount {
  method: string
  path: string
  /** 0: no response. */
  status: number
  count: number
}

function failing(status: number): boolean {
  return status === 0 || status >= 500
}

function rank(row: Pick<RequestRow, 'status' | 'canaryShare' | 'stableShare'>): number {
  const worse = row.canaryShare > row.stableShare
  if (failing(row.status) && worse) return 0
  if (row.status >= 400 && worse) return 1
  return 2
}

export function breakdownRequests(
  canary: readonly RouteCount[],
  stable: readonly RouteCount[],
  redactor: Redactor,
): RequestBreakdown {
  const rows = new Map<
    string,
    { method: string; path: string; status: number; c: number; s: number }
  >()
  const add = (r: RouteCount, side: 'c' | 's'): void => {
    const key = `${r.method} ${r.path} ${r.status}`
    const row = rows.get(key) ?? { method: r.method, path: r.path, status: r.status, c: 0, s: 0 }
    row[side] += r.count
    rows.set(key, row)
  }
  for (const r of canary) add(r, 'c')
  for (const r of stable) add(r, 's')
  const canaryRequests = canary.reduce((n, r) => n + r.count, 0)
  const stableRequests = stable.reduce((n, r) => n + r.count, 0)
  const share = (n: number, of: number): number =>
    of === 0 ? 0 : Math.round((n / of) * 10_000) / 10_000
  const all: Omit<RequestRow, 'id'>[] = [...rows.values()].map((r) => ({
    method: r.method,
    path: redactor.text(r.path).slice(0, REPORT_LIMITS.text),
    status: r.status,
    canary: r.c,
    stable: r.s,
    canaryShare: share(r.c, canaryRequests),
    stableShare: share(r.s, stableRequests),
  }))
  all.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (rank(a) < 2 ? b.canaryShare - b.stableShare - (a.canaryShare - a.stableShare) : 0) ||
      b.canary + b.stable - (a.canary + a.stable) ||
      a.path.localeCompare(b.path) ||
      a.method.localeCompare(b.method) ||
      a.status - b.status,
  )
  const kept = all.slice(0, REPORT_LIMITS.requestRows)
  return {
    available: true,
    note: null,
    canaryRequests,
    stableRequests,
    rows: kept.map((r, i) => ({ id: `R${i + 1}`, ...r })),
    omitted: all.length - kept.length,
  }
}
