/**
 * One backend's endpoints, picked round-robin, skipping for a while any endpoint that refused a
 * connection so one dead replica does not fail every Nth request.
 */
import type { Endpoint } from './types.js'

/** An endpoint that refused a connection is skipped for this long. */
const ENDPOINT_COOLDOWN_MS = 1000

/** Endpoints are identified by address: pools and cooldowns outlive route updates by this key. */
export function endpointKey(e: Endpoint): string {
  return `${e.host}:${e.port}`
}

export class EndpointSet {
  #next = 0
  /** Endpoint key → epoch ms until which it is skipped; carried over when the routes change. */
  readonly coolUntil = new Map<string, number>()
  constructor(readonly endpoints: Endpoint[]) {}

  /** Round-robin, skipping endpoints cooling down after a refused connection (unless all are). */
  pick(exclude?: string): Endpoint | undefined {
    const n = this.endpoints.length
    const now = Date.now()
    for (let i = 0; i < n; i++) {
      const e = this.endpoints[(this.#next + i) % n]
      if (e === undefined) continue
      const key = endpointKey(e)
      if (key === exclude || (this.coolUntil.get(key) ?? 0) > now) continue
      this.#next = (this.#next + i + 1) % n
      return e
    }
    const any = this.endpoints[this.#next++ % Math.max(1, n)]
    return any !== undefined && endpointKey(any) !== exclude ? any : undefined
  }

  /** Records that `key` refused a connection. */
  coolDown(key: string): void {
    this.coolUntil.set(key, Date.now() + ENDPOINT_COOLDOWN_MS)
  }
}
