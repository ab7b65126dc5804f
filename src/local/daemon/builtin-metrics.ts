/**
 * Answers the engine's measurement requests in local mode: builtin metrics come from the proxy's
 * per-version per-second counters; other providers are not wired into local mode yet and answer
 * with an error the analysis counts (never with a made-up value).
 */
import { builtinMetricValue } from '../../analysis/run.js'
import type { Measurement, MeasurementRequest } from '../../analysis/types.js'
import {
  emptyVersionTraffic,
  type TrafficSample,
  type VersionTraffic,
} from '../../analysis/traffic.js'

export interface TrafficWindowSource {
  window(backend: string, fromMs: number, toMs: number): VersionTraffic
}

export function backendId(revision: number): string {
  return `rev-${revision}`
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
  if (provider.kind !== 'builtin') {
    return {
      metric: request.metric,
      at: now,
      error: `metric provider "${provider.kind}" is not available in local mode yet; use a builtin metric`,
    }
  }
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
