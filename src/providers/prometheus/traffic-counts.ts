/**
 * Per-version traffic from Prometheus counters, for the sequential judge: each query gives a running
 * total for one version; the counts of a window are the totals at its end minus those at its start.
 * No extrapolation (unlike `increase()`), so counts are the requests really counted, and totals read
 * at a window's end are kept for the next window's start, so consecutive windows add up exactly.
 * Latency buckets of any layout are re-binned onto Kanari's by linear interpolation of the cumulative
 * counts, as `histogram_quantile` interpolates, so canary and stable are compared on the same bins;
 * its quantiles are interpolated (no latency sketch), and the judges' messages say so.
 */
import {
  emptyVersionTraffic,
  LATENCY_BUCKETS_MS,
  type TrafficSample,
  type VersionTraffic,
} from '../../analysis/traffic.js'
import type { TrafficQueries } from '../../analysis/types.js'
import { fillVariables, SELECTOR_VARIABLE } from '../../spec/metric-variables.js'
import { fillMeasured, type Role } from '../measured-version.js'
import type { PrometheusClient, QueryResult } from './client.js'

type Quantity = 'requests' | 'errors' | 'latencyBuckets' | 'latencySum'

/** A total read at one instant: a number, cumulative counts by bucket bound, or no series at all. */
type Total =
  | { kind: 'none' }
  | { kind: 'value'; value: number }
  | { kind: 'buckets'; byLe: Map<number, number> }

/** Totals kept for the next window's start: by query text and instant. Bounded. */
const CACHE_LIMIT = 512

function describe(labels: Record<string, string>): string {
  const text = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')
  return `{${text}}`
}

/** The query's answer as one total, or why it is not one. */
function totalOf(result: QueryResult, quantity: Quantity, role: Role): Total | string {
  if (quantity === 'latencyBuckets') {
    if (result.resultType !== 'vector')
      return `the latencyBuckets query of the ${role} gave a ${result.resultType}, not series by le`
    const byLe = new Map<number, number>()
    for (const s of result.series) {
      const le = s.labels.le
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le)
      if (le === undefined || Number.isNaN(bound))
        return `the latencyBuckets query of the ${role} gave a series without an le label (${describe(s.labels)}): group it with sum by (le) (…)`
      if (byLe.has(bound))
        return `the latencyBuckets query of the ${role} gave two series for le="${le}": group it with sum by (le) (…)`
      byLe.set(bound, s.value)
    }
    return byLe.size === 0 ? { kind: 'none' } : { kind: 'buckets', byLe }
  }
  if (result.resultType === 'scalar') return { kind: 'value', value: result.value }
  if (result.resultType !== 'vector')
    return `the ${quantity} query of the ${role} gave a ${result.resultType}, not one total`
  if (result.series.length === 0) return { kind: 'none' }
  if (result.series.length > 1) {
    const shown = result.series
      .slice(0, 2)
      .map((s) => describe(s.labels))
      .join(', ')
    return `the ${quantity} query of the ${role} gave ${result.series.length} series (${shown}${result.series.length > 2 ? ', …' : ''}), not one total: wrap it in sum(…)`
  }
  return { kind: 'value', value: result.series[0]?.value ?? Number.NaN }
}

/** What was counted between two totals; a total that went down is a counter reset. */
function grew(start: number, end: number): number {
  if (!Number.isFinite(end)) return 0
  const s = Number.isFinite(start) ? start : 0
  return end >= s ? end - s : end
}

function valueOf(t: Total): number {
  return t.kind === 'value' ? t.value : 0
}

/** Cumulative counts at Kanari's bucket bounds (ms), interpolated from the source's bounds. */
export function rebinCumulative(
  source: Map<number, number>,
  unitMs: number,
): { cumulative: number[]; total: number } {
  const bounds = [...source.entries()]
    .map(([le, count]) => [le * unitMs, count] as const)
    .sort((a, b) => a[0] - b[0])
  const total =
    bounds.find(([le]) => le === Number.POSITIVE_INFINITY)?.[1] ?? bounds.at(-1)?.[1] ?? 0
  const finite = bounds.filter(([le]) => Number.isFinite(le))
  const at = (ms: number): number => {
    let lowerLe = 0
    let lowerCount = 0
    for (const [le, count] of finite) {
      if (ms < le) {
        const share = le === lowerLe ? 1 : (ms - lowerLe) / (le - lowerLe)
        return lowerCount + (count - lowerCount) * share
      }
      lowerLe = le
      lowerCount = count
    }
    // Past the last finite bound nothing is known: what is left waits in +Inf.
    return lowerCount
  }
  let previous = 0
  const cumulative = LATENCY_BUCKETS_MS.map((ms) => {
    previous = Math.min(total, Math.max(previous, Math.round(at(ms))))
    return previous
  })
  return { cumulative, total: Math.round(total) }
}

function bucketsBetween(start: Total, end: Total, unitMs: number): number[] {
  const buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0)
  if (end.kind !== 'buckets') return buckets
  const before = start.kind === 'buckets' ? start.byLe : new Map<number, number>()
  // Per bound: what was counted in the window (a bound that went down was reset).
  const window = new Map<number, number>()
  for (const [le, count] of end.byLe) window.set(le, grew(before.get(le) ?? 0, count))
  const { cumulative, total } = rebinCumulative(window, unitMs)
  let below = 0
  cumulative.forEach((c, i) => {
    buckets[i] = c - below
    below = c
  })
  buckets[LATENCY_BUCKETS_MS.length] = Math.max(0, total - below)
  return buckets
}

export class TrafficCounter {
  readonly #cache = new Map<string, Total>()

  constructor(private readonly client: PrometheusClient) {}

  async #total(
    query: string,
    atMs: number,
    quantity: Quantity,
    role: Role,
  ): Promise<Total | string> {
    const key = `${atMs} ${query}`
    const kept = this.#cache.get(key)
    if (kept !== undefined) return kept
    const outcome = await this.client.instant(query, atMs)
    if (!outcome.ok) return outcome.error
    const total = totalOf(outcome.result, quantity, role)
    if (typeof total === 'string') return total
    this.#cache.set(key, total)
    if (this.#cache.size > CACHE_LIMIT) {
      const oldest = this.#cache.keys().next().value
      if (oldest !== undefined) this.#cache.delete(oldest)
    }
    return total
  }

  /** One version's traffic over [fromMs, toMs], or why it could not be read. */
  async #side(
    plan: TrafficQueries,
    role: Role,
    revision: number,
    fromMs: number,
    toMs: number,
  ): Promise<VersionTraffic | string> {
    const traffic = emptyVersionTraffic()
    // Only buckets are known here: no sketch, so quantiles are interpolated and said to be.
    delete traffic.latencySketch
    if (toMs <= fromMs) return traffic
    const version = { role, revision }
    const selector = fillMeasured(plan.selectors[role], version)
    const quantities: Quantity[] = ['requests', 'errors']
    if (plan.metric.startsWith('latency-p') && plan.latencyBuckets !== undefined)
      quantities.push('latencyBuckets')
    if (plan.metric === 'latency-mean' && plan.latencySum !== undefined)
      quantities.push('latencySum')
    const totals = await Promise.all(
      quantities.map(async (q) => {
        const text = fillMeasured(
          fillVariables(plan[q] ?? '', { [SELECTOR_VARIABLE]: selector }),
          version,
        )
        const [start, end] = await Promise.all([
          this.#total(text, fromMs, q, role),
          this.#total(text, toMs, q, role),
        ])
        return { q, start, end }
      }),
    )
    const unitMs = plan.latencyUnit === 'seconds' ? 1000 : 1
    for (const { q, start, end } of totals) {
      if (typeof start === 'string') return start
      if (typeof end === 'string') return end
      if (q === 'requests') traffic.requests = Math.round(grew(valueOf(start), valueOf(end)))
      if (q === 'errors') traffic.errors = Math.round(grew(valueOf(start), valueOf(end)))
      if (q === 'latencySum') traffic.latencySumMs = grew(valueOf(start), valueOf(end)) * unitMs
      if (q === 'latencyBuckets') traffic.latencyBuckets = bucketsBetween(start, end, unitMs)
    }
    // Errors are counted by a query of their own; they can never outnumber the requests.
    traffic.errors = Math.min(traffic.errors, traffic.requests)
    traffic.statusClasses['5xx'] = traffic.errors
    return traffic
  }

  async sample(
    plan: TrafficQueries,
    revisions: { canary: number | null; stable: number | null },
    fromMs: number,
    toMs: number,
  ): Promise<TrafficSample | { error: string }> {
    const read = (role: Role): Promise<VersionTraffic | string> => {
      const revision = revisions[role]
      return revision === null
        ? Promise.resolve(emptyVersionTraffic())
        : this.#side(plan, role, revision, fromMs, toMs)
    }
    const [canary, stable] = await Promise.all([read('canary'), read('stable')])
    if (typeof canary === 'string') return { error: canary }
    if (typeof stable === 'string') return { error: stable }
    return { from: fromMs, to: toMs, canary, stable }
  }
}
