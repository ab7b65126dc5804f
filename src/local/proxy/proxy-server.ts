/**
 * Kanari's local proxy: one listener per rollout's service, wiring routing, forwarding, mirroring,
 * upgrades and draining together, and recording every user request per backend for the builtin metrics.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TrafficRecorder } from '../metrics/traffic-recorder.js'
import { InFlightRequests, shutdown } from './drain.js'
import { createForwarder } from './forward.js'
import { Mirror } from './mirror.js'
import type { ProxyRoutes } from './types.js'
import { UpgradeTunnels } from './upgrade-tunnels.js'
import { Upstreams } from './upstreams.js'

export interface ProxyServer {
  readonly port: number
  readonly traffic: TrafficRecorder
  /** The routing table in force now (what `update` last put in place). */
  readonly routes: ProxyRoutes
  update(routes: ProxyRoutes): void
  /** Stops accepting, lets in-flight requests finish for up to `drainMs`, then closes everything. */
  close(options?: { drainMs?: number }): Promise<void>
}

export interface ProxyOptions {
  host?: string
  port: number
  routes: ProxyRoutes
  name: string
}

export async function startProxy(options: ProxyOptions): Promise<ProxyServer> {
  const traffic = new TrafficRecorder()
  const upstreams = new Upstreams(options.routes)
  const inFlight = new InFlightRequests()
  const forward = createForwarder({
    name: options.name,
    traffic,
    upstreams,
    mirror: new Mirror(upstreams, traffic),
    inFlight,
  })
  const tunnels = new UpgradeTunnels(upstreams, traffic)

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    if (inFlight.closing) res.setHeader('connection', 'close')
    forward(req, res)
  })
  server.on('upgrade', tunnels.open)

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })

  return {
    port: (server.address() as AddressInfo).port,
    traffic,
    get routes(): ProxyRoutes {
      return upstreams.routes
    },
    update(next: ProxyRoutes): void {
      upstreams.update(next)
    },
    close(closeOptions: { drainMs?: number } = {}): Promise<void> {
      return shutdown(server, inFlight, tunnels, upstreams, closeOptions.drainMs ?? 5000)
    },
  }
}
