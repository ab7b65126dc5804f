/**
 * Kanari's local proxy: one listener per rollout's service. It routes each request by the current
 * table (header routes, sticky or random weighted split), forwards it over a keep-alive undici pool
 * per endpoint, mirrors a share to the canary without ever delaying the client, passes WebSocket
 * upgrades through, and records every user request per backend for the builtin metrics.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { PassThrough, type Readable } from 'node:stream'
import { Pool } from 'undici'
import { TrafficRecorder } from '../metrics/traffic-recorder.js'
import { chooseRoute } from './routing.js'
import type { Endpoint, ProxyRoutes } from './types.js'

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
])
const MIRROR_MAX_IN_FLIGHT = 64
/** Request bodies up to this size are copied to the mirror; larger ones are not mirrored (counted as dropped). */
export const MIRROR_MAX_BODY_BYTES = 1024 * 1024
/** An endpoint that refused a connection is skipped for this long. */
const ENDPOINT_COOLDOWN_MS = 1000

export interface ProxyServer {
  readonly port: number
  readonly traffic: TrafficRecorder
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

function forwardHeaders(
  req: IncomingMessage,
  keepUpgrade: boolean,
): Record<string, string | string[]> {
  const named = new Set<string>()
  for (const token of (req.headers.connection ?? '').split(','))
    if (token.trim() !== '') named.add(token.trim().toLowerCase())
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue
    if (
      (HOP_BY_HOP.has(k) || named.has(k)) &&
      !(keepUpgrade && (k === 'upgrade' || k === 'connection'))
    )
      continue
    out[k] = v
  }
  const client = req.socket.remoteAddress ?? ''
  const prior = req.headers['x-forwarded-for']
  out['x-forwarded-for'] =
    prior === undefined ? client : `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}`
  out['x-forwarded-proto'] = 'http'
  if (req.headers.host !== undefined) out['x-forwarded-host'] = req.headers.host
  return out
}

function responseHeaders(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  backend: string,
): Record<string, string | string[]> {
  const named = new Set<string>()
  const conn = headers.connection
  for (const token of (Array.isArray(conn) ? conn.join(',') : (conn ?? '')).split(','))
    if (token.trim() !== '') named.add(token.trim().toLowerCase())
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named.has(k)) continue
    out[k] = v
  }
  out['x-kanari-backend'] = backend
  return out
}

function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')
  )
}

class EndpointSet {
  #next = 0
  readonly coolUntil = new Map<string, number>()
  constructor(readonly endpoints: Endpoint[]) {}
  /** Round-robin, skipping endpoints cooling down after a refused connection (unless all are). */
  pick(exclude?: string): Endpoint | undefined {
    const n = this.endpoints.length
    const now = Date.now()
    for (let i = 0; i < n; i++) {
      const e = this.endpoints[(this.#next + i) % n]
      if (e === undefined) continue
      const key = `${e.host}:${e.port}`
      if (key === exclude || (this.coolUntil.get(key) ?? 0) > now) continue
      this.#next = (this.#next + i + 1) % n
      return e
    }
    const any = this.endpoints[this.#next++ % Math.max(1, n)]
    return any !== undefined && `${any.host}:${any.port}` !== exclude ? any : undefined
  }
}

export async function startProxy(options: ProxyOptions): Promise<ProxyServer> {
  const traffic = new TrafficRecorder()
  const pools = new Map<string, Pool>()
  let routes = options.routes
  let endpointSets = new Map<string, EndpointSet>()
  const rebuild = (): void => {
    const next = new Map<string, EndpointSet>()
    for (const b of routes.backends) {
      const old = endpointSets.get(b.id)
      const set = new EndpointSet(b.endpoints)
      if (old !== undefined) for (const [k, v] of old.coolUntil) set.coolUntil.set(k, v)
      next.set(b.id, set)
    }
    endpointSets = next
    // Close pools of endpoints no longer routed to (after in-flight requests on them finish).
    const live = new Set(
      routes.backends.flatMap((b) => b.endpoints.map((e) => `${e.host}:${e.port}`)),
    )
    for (const [key, pool] of pools) {
      if (!live.has(key)) {
        pools.delete(key)
        void pool.close().catch(() => undefined)
      }
    }
  }
  rebuild()
  const poolFor = (e: Endpoint): Pool => {
    const key = `${e.host}:${e.port}`
    let pool = pools.get(key)
    if (pool === undefined) {
      pool = new Pool(`http://${key}`, {
        connections: 256,
        keepAliveTimeout: 30_000,
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      })
      pools.set(key, pool)
    }
    return pool
  }

  let inFlight = 0
  let mirrorsInFlight = 0
  let closing = false
  const idleWaiters: (() => void)[] = []
  const settle = (): void => {
    inFlight--
    if (inFlight === 0) for (const w of idleWaiters.splice(0)) w()
  }

  /** Sends a copy of the request (with `body`, already complete) to `backend`; the answer is discarded. */
  const sendMirror = (req: IncomingMessage, backend: string, body: Buffer | null): void => {
    const ep = endpointSets.get(backend)?.pick()
    if (ep === undefined || mirrorsInFlight >= MIRROR_MAX_IN_FLIGHT) {
      traffic.recordMirror(backend, true)
      return
    }
    mirrorsInFlight++
    traffic.recordMirror(backend, false)
    const headers = forwardHeaders(req, false)
    headers['x-kanari-mirror'] = '1'
    if (req.headers.host !== undefined) headers.host = `${req.headers.host}-shadow`
    if (body !== null) headers['content-length'] = String(body.length)
    const started = performance.now()
    poolFor(ep)
      .request({ path: req.url ?? '/', method: req.method ?? 'GET', headers, body })
      .then(async (res) => {
        // A body dump cut short (too large) still leaves the status the version answered with.
        await res.body.dump().catch(() => undefined)
        traffic.recordShadow(backend, res.statusCode, performance.now() - started)
      })
      .catch(() => traffic.recordShadow(backend, 0, performance.now() - started))
      .finally(() => mirrorsInFlight--)
  }

  /**
   * Mirrors a request that has a body: the client's body streams on to the primary backend through the
   * returned stream as it arrives, while a copy (up to MIRROR_MAX_BODY_BYTES) is kept and sent to the
   * mirror once the body is complete. The client is never slowed by the mirror.
   */
  const teeForMirror = (req: IncomingMessage, backend: string): Readable => {
    const primary = new PassThrough()
    const declared = Number(req.headers['content-length'] ?? NaN)
    let chunks: Buffer[] | null = declared > MIRROR_MAX_BODY_BYTES ? null : []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      if (chunks !== null) {
        size += chunk.length
        if (size > MIRROR_MAX_BODY_BYTES) chunks = null
        else chunks.push(chunk)
      }
      if (!primary.write(chunk)) req.pause()
    })
    primary.on('drain', () => req.resume())
    req.once('end', () => {
      primary.end()
      if (chunks === null) traffic.recordMirror(backend, true)
      else sendMirror(req, backend, Buffer.concat(chunks, size))
    })
    req.once('error', (err) => primary.destroy(err))
    req.once('aborted', () => primary.destroy(new Error('client aborted the request body')))
    return primary
  }

  const fail = (
    res: ServerResponse,
    backend: string | undefined,
    status: number,
    message: string,
    started: number,
  ): void => {
    if (backend !== undefined) traffic.record(backend, 0, performance.now() - started)
    if (!res.headersSent) {
      res.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        ...(backend === undefined ? {} : { 'x-kanari-backend': backend }),
      })
      res.end(`kanari proxy (${options.name}): ${message}\n`)
    } else res.destroy()
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now()
    inFlight++
    res.once('close', settle)
    const decision = chooseRoute(routes, req.headers)
    const backend = decision.backend
    const body = hasBody(req)
    let bodySource: Readable | null = body ? req : null
    if (decision.mirror !== undefined) {
      if (body) bodySource = teeForMirror(req, decision.mirror)
      else sendMirror(req, decision.mirror, null)
    }
    if (backend === undefined) {
      fail(res, undefined, 503, 'no backend has traffic (no revision is serving yet)', started)
      return
    }
    const set = endpointSets.get(backend)
    const first = set?.pick()
    if (set === undefined || first === undefined) {
      fail(res, backend, 503, `backend ${backend} has no ready endpoint`, started)
      return
    }
    const headers = forwardHeaders(req, false)
    const attempt = (ep: Endpoint, retried: boolean): void => {
      let status = 0
      // stream() writes the upstream body straight into the client response (no extra Readable).
      poolFor(ep)
        .stream(
          {
            path: req.url ?? '/',
            method: req.method ?? 'GET',
            headers,
            body: bodySource,
            opaque: res,
          },
          ({ statusCode, headers: upHeaders, opaque }) => {
            status = statusCode
            const out = opaque
            out.writeHead(statusCode, responseHeaders(upHeaders, backend))
            return out
          },
        )
        .then(() => traffic.record(backend, status, performance.now() - started))
        .catch((err: unknown) => {
          const code = (err as { code?: string }).code ?? ''
          if (status !== 0 || res.headersSent) {
            // The answer had started: the client sees a cut response; count what it was.
            traffic.record(backend, status, performance.now() - started)
            res.destroy()
            return
          }
          if (code === 'ECONNREFUSED')
            set.coolUntil.set(`${ep.host}:${ep.port}`, Date.now() + ENDPOINT_COOLDOWN_MS)
          const idempotent =
            req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS'
          const next =
            !retried && !body && idempotent && code === 'ECONNREFUSED'
              ? set.pick(`${ep.host}:${ep.port}`)
              : undefined
          if (next !== undefined) attempt(next, true)
          else if (req.destroyed) traffic.record(backend, 0, performance.now() - started)
          else
            fail(
              res,
              backend,
              502,
              `no answer from ${backend} at ${ep.host}:${ep.port} (${code || (err as Error).message})`,
              started,
            )
        })
    }
    attempt(first, false)
  }

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    if (closing) res.setHeader('connection', 'close')
    handle(req, res)
  })

  // WebSockets and other upgrades: pick a backend as for any request, then pipe the raw sockets.
  const upgraded = new Set<Socket>()
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const started = performance.now()
    upgraded.add(socket)
    socket.once('close', () => upgraded.delete(socket))
    const decision = chooseRoute(routes, req.headers)
    const ep =
      decision.backend === undefined ? undefined : endpointSets.get(decision.backend)?.pick()
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
  })

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
    update(next: ProxyRoutes): void {
      routes = next
      rebuild()
    },
    async close(closeOptions: { drainMs?: number } = {}): Promise<void> {
      closing = true
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => idleWaiters.push(resolve)),
          new Promise((resolve) => setTimeout(resolve, closeOptions.drainMs ?? 5000).unref()),
        ])
      }
      server.closeAllConnections()
      // Upgraded connections are no longer the HTTP server's to close.
      for (const socket of upgraded) socket.destroy()
      await closed
      await Promise.all([...pools.values()].map((p) => p.close().catch(() => undefined)))
      pools.clear()
    },
  }
}
