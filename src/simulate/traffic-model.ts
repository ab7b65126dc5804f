/**
 * A synthetic traffic model for `kanari simulate`: every virtual second, `rps` requests are split
 * between stable and canary by the engine's current routing, and each side fails and answers slowly
 * according to its configured behaviour. Seeded, so the same seed gives the same run.
 */
import { emptyVersionTraffic, recordRequest, type VersionTraffic } from '../analysis/traffic.js'
import { mulberry32, sampleBinomial } from '../analysis/random.js'
import type { TrafficState } from '../engine/status.js'

export interface VersionBehaviour {
  /** Percent of requests that fail (HTTP 500). */
  errorRatePercent: number
  /** Median latency in ms; individual requests vary log-normally around it. */
  latencyMs: number
}

export interface TrafficModelOptions {
  rps: number
  stable: VersionBehaviour
  canary: VersionBehaviour
  /** The canary behaves like stable until its weight reaches this; then it takes its own behaviour. */
  failAtWeight?: number
  /**
   * Percent of user requests that match a canary header or cookie route (A/B testing). The blue-green
   * preview route is not counted: users do not send the preview header, people testing by hand do.
   */
  matchRatePercent?: number
  seed: number
}

/** The name of the header route blue-green opens to its preview. */
const PREVIEW_ROUTE = 'preview'

export interface SecondOfTraffic {
  canary: VersionTraffic
  stable: VersionTraffic
  /** Canary requests in this second that failed because of the canary (beyond stable's own failures). */
  canaryFailed: number
  /** Requests mirrored to the canary (not user traffic). */
  mirrored: number
  /** How the canary answered the mirrored copies (users never see these; analysis counts them). */
  canaryShadow: VersionTraffic
}

/** Spread of per-request latency around the median (log-normal sigma). */
const LATENCY_SIGMA = 0.25

export class TrafficModel {
  readonly #random: () => number
  /** Set once the canary's weight has reached failAtWeight: the fault stays (it is in the code). */
  #faultActive: boolean

  constructor(readonly options: TrafficModelOptions) {
    this.#random = mulberry32(options.seed)
    this.#faultActive = options.failAtWeight === undefined
  }

  /** One virtual second of traffic under `traffic`. */
  second(traffic: TrafficState): SecondOfTraffic {
    const out: SecondOfTraffic = {
      canary: emptyVersionTraffic(),
      stable: emptyVersionTraffic(),
      canaryFailed: 0,
      mirrored: 0,
      canaryShadow: emptyVersionTraffic(),
    }
    const canaryWeight = traffic.canaryRevision === null ? 0 : traffic.canaryWeight
    if (this.options.failAtWeight !== undefined && canaryWeight >= this.options.failAtWeight)
      this.#faultActive = true
    const canaryBehaviour = this.#faultActive ? this.options.canary : this.options.stable
    const userRoutes =
      traffic.canaryRevision === null
        ? 0
        : traffic.headerRoutes.filter((r) => r.name !== PREVIEW_ROUTE).length
    // Requests matching a header route go to the canary first; the weights split the rest.
    const matched =
      userRoutes > 0
        ? sampleBinomial(this.#random, this.options.rps, (this.options.matchRatePercent ?? 0) / 100)
        : 0
    const toCanary =
      matched + sampleBinomial(this.#random, this.options.rps - matched, canaryWeight / 100)
    this.#serve(out.stable, this.options.rps - toCanary, this.options.stable)
    out.canaryFailed = this.#serve(
      out.canary,
      toCanary,
      canaryBehaviour,
      this.options.stable.errorRatePercent,
    )
    if (traffic.mirror !== null && traffic.canaryRevision !== null) {
      out.mirrored = sampleBinomial(
        this.#random,
        this.options.rps - toCanary,
        traffic.mirror.percentage / 100,
      )
      this.#serve(out.canaryShadow, out.mirrored, canaryBehaviour)
    }
    return out
  }

  get faultActive(): boolean {
    return this.#faultActive
  }

  /**
   * Records `n` requests with the given behaviour. Returns how many failed that would not have
   * failed on stable: one draw decides both, so a failure below stable's own rate is not blamed on
   * the canary.
   */
  #serve(
    into: VersionTraffic,
    n: number,
    behaviour: VersionBehaviour,
    baselinePercent = 100,
  ): number {
    let failed = 0
    for (let i = 0; i < n; i++) {
      const u = this.#random() * 100
      const fails = u < behaviour.errorRatePercent
      if (fails && u >= baselinePercent) failed++
      recordRequest(
        into,
        fails ? 500 : 200,
        behaviour.latencyMs * Math.exp(LATENCY_SIGMA * this.#gaussian()),
      )
    }
    return failed
  }

  #gaussian(): number {
    // Box–Muller; 1 - u keeps log() away from zero.
    const u = 1 - this.#random()
    const v = this.#random()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
}
