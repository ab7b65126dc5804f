/**
 * The builtin metric provider in local mode: error rate, success rate and latency percentiles from
 * the proxy's per-version per-second counters, over whole seconds already complete.
 */
import { builtinMetricValue } from '../../analysis/measurement.js'
import type { Measurement, MeasurementRequest } from '../../analysis/types.js'
import type { MeasureContext, MetricProvider } from '../../controller/ports.js'
import { backendId } from '../proxy/backend-id.js'
import {
  emptyVersionTraffic,
  type TrafficSample,
  type VersionTraffic,
} from '../../analysis/traffic.js'

export interface TrafficWindowSource {
  window(backend: string, fromMs: number, toMs: number): VersionTraffic
}

/**
 * Measures one request. Windows are cut at whole seconds already complete, so consecutive windows
 * never count a second twice and a second still filling is never judged.
 */
export function measureLocally(
  request: MeasurementRequest,
  source: TrafficWindowSource,
  sides: { stableRevision: number | null; canaryRevision: number | null },
  now: number,
): Measurement {
  const provider = request.provider
  if (provider.kind !== 'builtin')
    return { metric: request.metric, at: now, error: `not a builtin metric: ${provider.kind}` }
  const to = Math.floor(Math.min(request.to, now) / 1000) * 1000
  const from = Math.min(Math.floor(request.from / 1000) * 1000, to)
  const canary =
    sides.canaryRevision === null
      ? emptyVersionTraffic()
      : source.window(backendId(sides.canaryRevision), from, to)
  const stable =
    sides.stableRevision === null
      ? emptyVersionTraffic()
      : source.window(backendId(sides.stableRevision), from, to)
  const traffic: TrafficSample = { from, to, canary, stable }
  return {
    metric: request.metric,
    at: to,
    value: builtinMetricValue(provider.metric, traffic),
    traffic,
  }
}

/** Where windows of a backend's traffic come from: a proxy process, or a recorder in-process. */
export interface AsyncWindowSource {
  window(backend: string, fromMs: number, toMs: number): Promise<VersionTraffic>
}

export class BuiltinMetricProvider implements MetricProvider {
  /** `source` is read at each measurement: the proxy may be replaced while the rollout runs. */
  constructor(private readonly source: () => AsyncWindowSource | TrafficWindowSource | undefined) {}

  async measure(request: MeasurementRequest, context: MeasureContext): Promise<Measurement> {
    const source = this.source()
    if (source === undefined)
      return { metric: request.metric, at: context.now, error: 'the proxy is not running' }
    const { stableRevision, canaryRevision } = context.traffic
    // Read both windows first, then measure over what was read: the same cut for both sides.
    const windows = new Map<string, VersionTraffic>()
    const to = Math.floor(Math.min(request.to, context.now) / 1000) * 1000
    const from = Math.min(Math.floor(request.from / 1000) * 1000, to)
    try {
      for (const revision of [stableRevision, canaryRevision])
        if (revision !== null)
          windows.set(backendId(revision), await source.window(backendId(revision), from, to))
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      return {
        metric: request.metric,
        at: context.now,
        error: `reading the proxy's counters: ${why}`,
      }
    }
    const read: TrafficWindowSource = {
      window: (backend) => windows.get(backend) ?? emptyVersionTraffic(),
    }
    return measureLocally(request, read, context.traffic, context.now)
  }
}
