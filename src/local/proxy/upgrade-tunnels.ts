/**
 * WebSockets and other `upgrade` requests: pick a backend as for any request, replay the request
 * line and headers to one of its endpoints, then pipe the raw sockets both ways.
 */
import type { IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { TrafficRecorder } from '../metrics/traffic-recorder.js'
import { forwardHeaders } from './hop-by-hop-headers.js'
import { chooseRoute } from './routing.js'
import type { Upstreams } from './upstreams.js'

export class UpgradeTunnels {
  /** Client sockets of open tunnels: once upgraded they are no longer the HTTP server's to close. */
  readonly #sockets = new Set<Socket>()
  readonly #upstreams: Upstreams
  readonly #traffic: TrafficRecorder

  constructor(upstreams: Upstreams, traffic: TrafficRecorder) {
    this.#upstreams = upstreams
    this.#traffic = traffic
  }

  /** The server's `upgrade` listener. */
  readonly open = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    const started = performance.now()
    const traffic = this.#traffic
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
    const decision = chooseRoute(this.#upstreams.routes, req.headers)
    const ep =
      decision.backend === undefined
        ? undefined
        : this.#upstreams.endpoints(decision.backend)?.pick()
    if (decision.backend === undefined || ep === undefined) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
      )
      return
    }
    const backend = decision.backend
    const upstream = connect(ep.port, ep.host, () => {
      const headers = forwardHeaders(req, true)
      const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`]
      for (const [k, v] of Object.entries(headers))
        for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`)
      upstream.write(lines.join('\r\n') + '\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(socket)
      socket.pipe(upstream)
      traffic.record(backend, 101, performance.now() - started)
    })
    const closeBoth = (): void => {
      upstream.destroy()
      socket.destroy()
    }
    upstream.on('error', () => {
      if (!socket.destroyed)
        socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
      traffic.record(backend, 0, performance.now() - started)
    })
    socket.on('error', closeBoth)
    socket.on('close', () => upstream.destroy())
    upstream.on('close', () => socket.destroy())
  }

  destroyAll(): void {
    for (const socket of this.#sockets) socket.destroy()
  }
}
