/**
 * Turning one measurement into a phase (Successful / Failed / Inconclusive / Error, or no data) with
 * a human explanation, by thresholdRange and success/failure conditions — the rules the threshold
 * and limit judges share. Builtin metrics are worked out from per-version traffic here too.
 */
import { parseCondition, evaluateCondition } from './condition.js'
import { interpolatedNote, latencyQuantile, type TrafficSample } from './traffic.js'
import type {
  BuiltinMetricName,
  Measurement,
  MeasurementPhase,
  MetricPlan,
  MetricProviderPlan,
} from './types.js'

/** Builtin metric value from traffic: rates in percent, latency in ms; NaN when the canary had no requests. */
export function builtinMetricValue(metric: BuiltinMetricName, traffic: TrafficSample): number {
  const c = traffic.canary
  if (c.requests === 0) return Number.NaN
  switch (metric) {
    case 'error-rate':
      return (100 * c.errors) / c.requests
    case 'success-rate':
      return 100 - (100 * c.errors) / c.requests
    case 'latency-p50':
      return latencyQuantile(c, 0.5)
    case 'latency-p95':
      return latencyQuantile(c, 0.95)
    case 'latency-p99':
      return latencyQuantile(c, 0.99)
    case 'latency-mean':
      return c.latencySumMs / c.requests
  }
}

/**
 * The quantity a traffic metric measures — one whose measurements are per-version traffic, canary vs
 * stable: the builtin metrics, and Prometheus metrics read as per-version counters. Undefined for a
 * metric whose measurement is a plain value.
 */
export function trafficMetricOf(
  provider: MetricProviderPlan | MetricPlan,
): BuiltinMetricName | undefined {
  const p = 'provider' in provider ? provider.provider : provider
  if (p.kind === 'builtin') return p.metric
  if (p.kind === 'prometheus') return p.traffic?.metric
  return undefined
}

export function isRateMetric(m: MetricPlan): boolean {
  const q = trafficMetricOf(m)
  return q === 'error-rate' || q === 'success-rate'
}

export function isLatencyMetric(m: MetricPlan): boolean {
  return trafficMetricOf(m)?.startsWith('latency-') ?? false
}

/** A value with its unit, for explanations. */
export function formatValue(m: MetricPlan, v: number): string {
  if (Number.isNaN(v)) return 'no data'
  if (isRateMetric(m)) return `${round(v, v < 10 ? 2 : 1)}%`
  if (isLatencyMetric(m)) return `${round(v, v < 10 ? 1 : 0)} ms`
  return String(round(v, 4))
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}

/**
 * Said after a latency quantile that was interpolated inside histogram buckets rather than measured:
 * traffic read from Prometheus buckets, or the user's own histogram_quantile query.
 */
export function interpolationNote(metric: MetricPlan, m: Measurement): string {
  const quantity = trafficMetricOf(metric)
  if (m.traffic !== undefined)
    return quantity?.startsWith('latency-p') === true ? interpolatedNote(m.traffic.canary) : ''
  const p = metric.provider
  if (p.kind === 'prometheus' && p.query !== undefined && /histogram_quantile\s*\(/.test(p.query))
    return ' (interpolated by histogram_quantile from Prometheus buckets)'
  return ''
}

export type MeasurementVerdict = { phase: MeasurementPhase | 'NoData'; message: string }

const conditionCache = new Map<string, ReturnType<typeof parseCondition>>()
function condition(src: string): ReturnType<typeof parseCondition> {
  let c = conditionCache.get(src)
  if (c === undefined) {
    c = parseCondition(src)
    conditionCache.set(src, c)
  }
  return c
}

function hasData(value: Measurement['value']): value is number | number[] {
  if (value === null || value === undefined) return false
  if (Array.isArray(value)) return value.length > 0 && value.some((x) => !Number.isNaN(x))
  return !Number.isNaN(value)
}

/** The phase of one measurement by the metric's conditions and thresholdRange. */
export function judgeMeasurement(metric: MetricPlan, m: Measurement): MeasurementVerdict {
  if (m.error !== undefined) return { phase: 'Error', message: `${metric.name}: ${m.error}` }
  const value = m.value
  // Counts that explain the value: failed requests for a rate, the sample size for a latency.
  const counts =
    m.traffic === undefined
      ? ''
      : isRateMetric(metric)
        ? ` (${m.traffic.canary.errors}/${m.traffic.canary.requests} canary requests failed)`
        : ` (${m.traffic.canary.requests} canary requests)`
  if (!hasData(value))
    return {
      phase: 'NoData',
      message: `${metric.name}: no data${m.traffic === undefined ? '' : ' (no canary requests in the window)'}`,
    }
  const note = interpolationNote(metric, m)
  const shown = `${
    Array.isArray(value)
      ? `[${value.map((v) => formatValue(metric, v)).join(', ')}]`
      : formatValue(metric, value)
  }${note}`
  const failure =
    metric.failureCondition === undefined
      ? undefined
      : evaluateCondition(condition(metric.failureCondition), value)
  const success =
    metric.successCondition === undefined
      ? undefined
      : evaluateCondition(condition(metric.successCondition), value)
  if (failure === true)
    return {
      phase: 'Failed',
      message: `${metric.name} ${shown} meets failureCondition "${metric.failureCondition ?? ''}"${counts}`,
    }
  if (success === false) {
    if (failure === false)
      return {
        phase: 'Inconclusive',
        message: `${metric.name} ${shown} meets neither successCondition nor failureCondition`,
      }
    return {
      phase: 'Failed',
      message: `${metric.name} ${shown} fails successCondition "${metric.successCondition ?? ''}"${counts}`,
    }
  }
  const range = metric.thresholdRange
  if (range !== undefined) {
    const values = Array.isArray(value) ? value : [value]
    for (const v of values) {
      if (range.min !== undefined && v < range.min)
        return {
          phase: 'Failed',
          message: `${metric.name} ${formatValue(metric, v)}${note} < min ${formatValue(metric, range.min)}${counts}`,
        }
      if (range.max !== undefined && v > range.max)
        return {
          phase: 'Failed',
          message: `${metric.name} ${formatValue(metric, v)}${note} > max ${formatValue(metric, range.max)}${counts}`,
        }
    }
    const bound =
      range.max !== undefined
        ? `<= max ${formatValue(metric, range.max)}`
        : `>= min ${formatValue(metric, range.min ?? 0)}`
    return { phase: 'Successful', message: `${metric.name} ${shown} ${bound}${counts}` }
  }
  return {
    phase: 'Successful',
    message: `${metric.name} ${shown}${metric.successCondition === undefined ? '' : ' meets successCondition'}${counts}`,
  }
}
