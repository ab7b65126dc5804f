/**
 * When pods that a route change took traffic from may go. A data plane applies a route some time after
 * it is written (Traefik throttles its provider, 2 s by default; a mesh pushes to every proxy), and
 * until then it still sends those pods requests: scaled down at once, they answer with errors (or the
 * gateway answers 503 for a backend left without endpoints). So pods that lost traffic go only
 * `drainSeconds` after the last route change, and once the gateway reports it has seen it (a routing
 * object whose status says so); a gateway that never reports is waited for at most OBSERVE_LIMIT_MS.
 */

/** Longest wait past `drainSeconds` for a gateway to report the route change. */
export const OBSERVE_LIMIT_MS = 30_000
/** How soon to look again while waiting for the gateway's report. */
const POLL_MS = 250

export interface RouteDrainOptions {
  /** `spec.service.drainSeconds`, in ms. */
  drainMs: () => number
  now: () => number
  /** The data plane reports the routing object as it is now (true when it reports nothing). */
  observed: () => Promise<boolean>
}

export class RouteDrain {
  /** When the route was last written; undefined: not by this process (pods may go at once). */
  #changedAt: number | undefined

  constructor(private readonly o: RouteDrainOptions) {}

  /** The route was just written. */
  changed(): void {
    this.#changedAt = this.o.now()
  }

  /** Ms until pods that lost traffic by the last route change may go; 0 when they may go now. */
  async waitMs(): Promise<number> {
    if (this.#changedAt === undefined) return 0
    const elapsed = this.o.now() - this.#changedAt
    const drainMs = this.o.drainMs()
    if (elapsed < drainMs) return drainMs - elapsed
    if (elapsed >= drainMs + OBSERVE_LIMIT_MS) return 0
    return (await this.o.observed()) ? 0 : POLL_MS
  }
}
