/**
 * The runner's `TrafficRouter` in local mode: Kanari's own proxy. A traffic state becomes the proxy's
 * routing table (backends with the revisions' ready endpoints, weights, header routes, a mirror), and
 * `verify` reads the table the proxy really enforces back into a traffic state.
 */
import type { RouterCapabilities, TrafficRouter } from '../../controller/ports.js'
import { checkRoutable } from '../../controller/routable.js'
import type { TrafficState } from '../../engine/status.js'
import type { ProxyRoutes, ProxyServer } from '../proxy/index.js'

/** Where the routing table lives: a proxy process (over its control socket) or one in-process. */
export interface RoutingTable {
  setRoutes(routes: ProxyRoutes): Promise<void>
  routes(): Promise<ProxyRoutes>
}

/** The routing table of a proxy running in this process (tests, benchmarks). */
export function inProcessTable(proxy: ProxyServer): RoutingTable {
  return {
    setRoutes: (routes) => {
      proxy.update(routes)
      return Promise.resolve()
    },
    routes: () => Promise.resolve(proxy.routes),
  }
}
import { backendId } from '../proxy/backend-id.js'

export interface ProxyRouterOptions {
  /** Ready endpoints of a revision now. */
  endpoints: (revision: number) => { host: string; port: number }[]
  sticky?: { cookie?: string; header?: string }
}

export class ProxyRouter implements TrafficRouter {
  readonly capabilities: RouterCapabilities = { weights: true, headerRoutes: true, mirror: true }
  /** The traffic last applied: endpoint changes re-send it with fresh endpoints. */
  #desired: TrafficState | null = null

  constructor(
    private table: RoutingTable,
    private options: ProxyRouterOptions,
  ) {}

  async apply(traffic: TrafficState): Promise<void> {
    checkRoutable('local proxy', this.capabilities, traffic)
    this.#desired = structuredClone(traffic)
    await this.table.setRoutes(this.#routes(traffic))
  }

  /** Endpoints changed (a replica became ready or went away): re-send the same routing. */
  async refresh(): Promise<void> {
    if (this.#desired !== null) await this.table.setRoutes(this.#routes(this.#desired))
  }

  /** The proxy was replaced (a new service port) or the stickiness changed. */
  async rebind(table: RoutingTable, options: ProxyRouterOptions): Promise<void> {
    this.table = table
    this.options = options
    await this.refresh()
  }

  async verify(): Promise<TrafficState | null> {
    return this.#decode(await this.table.routes())
  }

  #routes(t: TrafficState): ProxyRoutes {
    const routes: ProxyRoutes = { backends: [], weights: [], headerRoutes: [] }
    if (t.stableRevision !== null) {
      const stable = backendId(t.stableRevision)
      routes.backends.push({
        id: stable,
        revision: t.stableRevision,
        role: 'stable',
        endpoints: this.options.endpoints(t.stableRevision),
      })
      routes.weights.push({
        backend: stable,
        weight: t.canaryRevision === null ? 100 : 100 - t.canaryWeight,
      })
    }
    if (t.canaryRevision !== null) {
      const canary = backendId(t.canaryRevision)
      routes.backends.push({
        id: canary,
        revision: t.canaryRevision,
        role: 'canary',
        endpoints: this.options.endpoints(t.canaryRevision),
      })
      routes.weights.push({ backend: canary, weight: t.canaryWeight })
      routes.headerRoutes = t.headerRoutes.map((r) => ({
        name: r.name,
        match: r.match,
        backend: canary,
      }))
      if (t.mirror !== null)
        routes.mirror = {
          name: t.mirror.name,
          backend: canary,
          percentage: t.mirror.percentage,
          match: t.mirror.match,
        }
    }
    if (this.options.sticky !== undefined) routes.sticky = this.options.sticky
    return routes
  }

  /** The traffic state a routing table enforces; null when it routes to backends we did not set. */
  #decode(routes: ProxyRoutes): TrafficState | null {
    if (routes.weights.length === 0) return null
    const [stable, canary, ...more] = routes.weights
    if (stable === undefined || more.length > 0) return null
    const revisionOf = (id: string): number | undefined =>
      routes.backends.find((b) => b.id === id)?.revision
    const stableRevision = revisionOf(stable.backend)
    const canaryRevision = canary === undefined ? null : revisionOf(canary.backend)
    if (stableRevision === undefined || canaryRevision === undefined) return null
    return {
      stableRevision,
      canaryRevision,
      canaryWeight: canary?.weight ?? 0,
      headerRoutes: routes.headerRoutes.map((r) => ({ name: r.name, match: r.match })),
      mirror:
        routes.mirror === undefined
          ? null
          : {
              name: routes.mirror.name,
              percentage: routes.mirror.percentage,
              match: routes.mirror.match,
            },
    }
  }
}
