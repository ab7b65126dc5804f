/**
 * Simulate's metric provider: builtin metrics computed from the synthetic traffic the model produced,
 * over exactly the window asked for, and Prometheus traffic metrics (per-version counters) as a
 * Prometheus scraping every `scrapeIntervalSeconds` would have seen them: only up to its last scrape,
 * and latencies as histogram buckets only (quantiles interpolated, as the real provider's are).
 * Mirrored copies count for the canary, as in local mode.
 */
import { builtinMetricValue, trafficMetricOf } from '../analysis/measurement.js'
import { addVersionTraffic, emptyVersionTraffic, type TrafficSample } from '../analysis/traffic.js'
import type { Measurement, MeasurementRequest } from '../analysis/types.js'
import type { MetricProvider } from '../controller/ports.js'
import type { SecondOfTraffic } from './traffic-model.js'

/** Recorded virtual seconds, oldest first, with a bounded history. */
export class TrafficLog {
  readonly #seconds: { at: number; second: SecondOfTraffic }[] = []

  constructor(private readonly keepSeconds = 4000) {}

  record(at: number, second: SecondOfTraffic): void {
    this.#seconds.push({ at, second })
    if (this.#seconds.length > this.keepSeconds)
      this.#seconds.splice(0, this.#seconds.length - this.keepSeconds)
  }

  /** Sums the recorded seconds that fall in [from, to). */
  window(from: number, to: number): TrafficSample {
    const canary = emptyVersionTraffic()
    const stable = emptyVersionTraffic()
    for (let i = this.#seconds.length - 1; i >= 0; i--) {
      const entry = this.#seconds[i]
      if (entry === undefined || entry.at < from) break
      if (entry.at >= to) continue
      addVersionTraffic(canary, entry.second.canary)
      addVersionTraffic(canary, entry.second.canaryShadow)
      addVersionTraffic(stable, entry.second.stable)
    }
    return { from, to, canary, stable }
  }
}

export class ModelMetricProvider implements MetricProvider {
  constructor(
    private readonly log: TrafficLog,
    /** How often the modelled Prometheus scrapes the counters its traffic metrics read. */
    private readonly scrapeIntervalSeconds = 15,
  ) {}

  measure(request: MeasurementRequest): Promise<Measurement> {
    const provider = request.provider
    const quantity = trafficMetricOf(provider)
    if (quantity === undefined)
      return Promise.resolve({
        metric: request.metric,
        at: request.to,
        error: `simulate answers traffic metrics only (builtin, or Prometheus traffic), not this "${provider.kind}" metric`,
      })
    // Builtin: the proxy's counters, to the second. Prometheus: the totals of its last scrapes.
    const scrapeMs = this.scrapeIntervalSeconds * 1000
    const seen = (t: number): number =>
      provider.kind === 'builtin' ? t : Math.floor(t / scrapeMs) * scrapeMs
    const window = this.log.window(seen(request.from), seen(request.to))
    const traffic = { ...window, from: request.from, to: request.to }
    if (provider.kind !== 'builtin') {
      delete traffic.canary.latencySketch
      delete traffic.stable.latencySketch
    }
    return Promise.resolve({
      metric: request.metric,
      at: request.to,
      value: builtinMetricValue(quantity, traffic),
      traffic,
    })
  }
}
