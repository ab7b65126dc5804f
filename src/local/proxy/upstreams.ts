/**
 * What the proxy forwards to right now: the route table, an endpoint set per backend, and one
 * keep-alive undici pool per endpoint address, kept across route updates while it is still routed to.
 */
import { Pool } from 'undici'
import { EndpointSet, endpointKey } from './endpoint-set.js'
import type { Endpoint, ProxyRoutes } from './types.js'

export class Upstreams {
  #routes: ProxyRoutes
  #sets = new Map<string, EndpointSet>()
  readonly #pools = new Map<string, Pool>()

  constructor(routes: ProxyRoutes) {
    this.#routes = routes
    this.#rebuild()
  }

  get routes(): ProxyRoutes {
    return this.#routes
  }

  update(routes: ProxyRoutes): void {
    this.#routes = routes
    this.#rebuild()
  }

  endpoints(backend: string): EndpointSet | undefined {
    return this.#sets.get(backend)
  }

  poolFor(e: Endpoint): Pool {
    const key = endpointKey(e)
    let pool = this.#pools.get(key)
    if (pool === undefined) {
      pool = new Pool(`http://${key}`, {
        connections: 256,
        keepAliveTimeout: 30_000,
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      })
      this.#pools.set(key, pool)
    }
    return pool
  }

  /** Closes every pool, letting requests already on them finish. */
  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.close().catch(() => undefined)))
    this.#pools.clear()
  }

  #rebuild(): void {
    const next = new Map<string, EndpointSet>()
    for (const b of this.#routes.backends) {
      const old = this.#sets.get(b.id)
      const set = new EndpointSet(b.endpoints)
      // A replica that just refused connections is still down, whatever the new weights say.
      if (old !== undefined) for (const [k, v] of old.coolUntil) set.coolUntil.set(k, v)
      next.set(b.id, set)
    }
    this.#sets = next
    // Close pools of endpoints no longer routed to (after in-flight requests on them finish).
    const live = new Set(this.#routes.backends.flatMap((b) => b.endpoints.map(endpointKey)))
    for (const [key, pool] of this.#pools) {
      if (!live.has(key)) {
        this.#pools.delete(key)
        void pool.close().catch(() => undefined)
      }
    }
  }
}
