/**
 * The `prometheus` metric provider: one query whose value is the measurement (instant, or a range of
 * points as a list), or per-version counters read as traffic for the sequential judge. No series is
 * no data; several series where one value is wanted, a range vector, a string, an answer that is not
 * the API's, a server down or too slow: each is an error that says so — never a value.
 */
import { builtinMetricValue } from '../../analysis/measurement.js'
import type { Measurement, MeasurementRequest } from '../../analysis/types.js'
import type { MeasureContext, MetricProvider } from '../../controller/ports.js'
import { fillMeasured, measuredVersion } from '../measured-version.js'
import { PrometheusClient, type QueryResult } from './client.js'
import { TrafficCounter } from './traffic-counts.js'

export const DEFAULT_TIMEOUT_SECONDS = 10

type PrometheusPlan = Extract<MeasurementRequest['provider'], { kind: 'prometheus' }>

function seriesList(labels: Record<string, string>[]): string {
  const shown = labels.slice(0, 3).map(
    (l) =>
      `{${Object.entries(l)
        .map(([k, v]) => `${k}="${v}"`)
        .join(', ')}}`,
  )
  return `${shown.join(', ')}${labels.length > 3 ? ', …' : ''}`
}

/** The measurement's value from an instant query's result, or why there is none. */
export function instantValue(result: QueryResult): { value: number | null } | { error: string } {
  switch (result.resultType) {
    case 'scalar':
      return { value: result.value }
    case 'vector':
      if (result.series.length === 0) return { value: null }
      if (result.series.length > 1)
        return {
          error: `the query gave ${result.series.length} series (${seriesList(result.series.map((s) => s.labels))}) where one value is wanted: aggregate them (sum, max, …) or select one by its labels`,
        }
      return { value: result.series[0]?.value ?? null }
    case 'matrix':
      return {
        error:
          'the query gave a range vector (a selector with [duration]): wrap it in a function such as rate(…) or sum_over_time(…), or use rangeQuery for a list of points',
      }
    case 'string':
      return { error: `the query gave a string ("${result.value}"), not a number` }
  }
}

/** The measurement's value from a range query: the points of its one series, in time order. */
export function rangeValue(result: QueryResult): { value: number[] | null } | { error: string } {
  if (result.resultType !== 'matrix')
    return { error: `the range query gave a ${result.resultType}, not a range of points` }
  if (result.series.length === 0) return { value: null }
  if (result.series.length > 1)
    return {
      error: `the range query gave ${result.series.length} series (${seriesList(result.series.map((s) => s.labels))}) where one is wanted: aggregate them (sum, max, …) or select one by its labels`,
    }
  return { value: (result.series[0]?.values ?? []).map(([, v]) => v) }
}

export class PrometheusProvider implements MetricProvider {
  /** One client and one counter per server and credentials, so totals carry over between windows. */
  readonly #counters = new Map<string, { client: PrometheusClient; counter: TrafficCounter }>()

  #for(plan: PrometheusPlan): { client: PrometheusClient; counter: TrafficCounter } {
    const key = JSON.stringify([plan.address, plan.headers, plan.auth, plan.timeoutSeconds])
    let found = this.#counters.get(key)
    if (found === undefined) {
      const client = new PrometheusClient({
        address: plan.address,
        headers: plan.headers,
        ...(plan.auth === undefined ? {} : { auth: plan.auth }),
        timeoutMs: (plan.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
      })
      found = { client, counter: new TrafficCounter(client) }
      this.#counters.set(key, found)
    }
    return found
  }

  async measure(request: MeasurementRequest, context: MeasureContext): Promise<Measurement> {
    const plan = request.provider
    const metric = request.metric
    if (plan.kind !== 'prometheus')
      return { metric, at: context.now, error: `not a prometheus metric: ${plan.kind}` }
    const end = Math.min(request.to, context.now)
    const { client, counter } = this.#for(plan)
    if (plan.traffic !== undefined) {
      const traffic = plan.traffic
      const start = Math.min(request.from, end)
      const sample = await counter.sample(
        traffic,
        { canary: context.traffic.canaryRevision, stable: context.traffic.stableRevision },
        start,
        end,
      )
      if ('error' in sample) return { metric, at: end, error: sample.error }
      return { metric, at: end, value: builtinMetricValue(traffic.metric, sample), traffic: sample }
    }
    const query = fillMeasured(plan.query ?? '', measuredVersion(context.traffic))
    if (plan.range !== undefined) {
      const outcome = await client.range(
        query,
        end - plan.range.seconds * 1000,
        end,
        plan.range.stepSeconds,
      )
      if (!outcome.ok) return { metric, at: end, error: outcome.error }
      const v = rangeValue(outcome.result)
      return 'error' in v
        ? { metric, at: end, error: v.error }
        : { metric, at: end, value: v.value }
    }
    const outcome = await client.instant(query, end)
    if (!outcome.ok) return { metric, at: end, error: outcome.error }
    const v = instantValue(outcome.result)
    return 'error' in v ? { metric, at: end, error: v.error } : { metric, at: end, value: v.value }
  }
}
