/**
 * Simulate's metric provider: builtin metrics computed from the synthetic traffic the model produced,
 * over exactly the window asked for. Mirrored copies count for the canary, as in local mode.
 */
import { builtinMetricValue } from '../analysis/measurement.js'
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
  constructor(private readonly log: TrafficLog) {}

  measure(request: MeasurementRequest): Promise<Measurement> {
    const provider = request.provider
    if (provider.kind !== 'builtin')
      return Promise.resolve({
        metric: request.metric,
        at: request.to,
        error: `simulate answers builtin metrics only, not "${provider.kind}"`,
      })
    const traffic = this.log.window(request.from, request.to)
    return Promise.resolve({
      metric: request.metric,
      at: request.to,
      value: builtinMetricValue(provider.metric, traffic),
      traffic,
    })
  }
}
