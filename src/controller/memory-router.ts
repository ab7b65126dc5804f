/**
 * A router that only remembers: what was applied is what is in place. Simulate's traffic model and
 * the engine tests' world route by it.
 */
import type { TrafficState } from '../engine/status.js'
import type { RouterCapabilities, TrafficRouter } from './ports.js'
import { checkRoutable } from './routable.js'

export class MemoryRouter implements TrafficRouter {
  #current: TrafficState | null = null
  /** Every state applied, in order. */
  readonly applied: TrafficState[] = []

  constructor(
    readonly capabilities: RouterCapabilities = { weights: true, headerRoutes: true, mirror: true },
  ) {}

  /** The routing in force (all traffic nowhere until something is applied). */
  get current(): TrafficState | null {
    return this.#current
  }

  apply(traffic: TrafficState): Promise<void> {
    try {
      checkRoutable('in-memory', this.capabilities, traffic)
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
    this.#current = structuredClone(traffic)
    this.applied.push(structuredClone(traffic))
    return Promise.resolve()
  }

  verify(): Promise<TrafficState | null> {
    return Promise.resolve(this.#current === null ? null : structuredClone(this.#current))
  }
}
