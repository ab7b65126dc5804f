/**
 * The proxy process's control API on a Unix socket (mode 0600): the daemon sets and reads back the
 * routing table, reads traffic windows for analysis and lifetime counters for views, and closes it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { totalsOf } from '../metrics/traffic-reader.js'
import type { ProxyRoutes, ProxyServer } from '../proxy/index.js'
import { listenOnSocket, sendJson as send } from '../unix-socket.js'
import { CONTROL } from './protocol.js'

const MAX_BODY_BYTES = 4 * 1024 * 1024

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new Error(`body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
}

function isRoutes(v: unknown): v is ProxyRoutes {
  const r = v as Partial<ProxyRoutes> | null
  return (
    r !== null &&
    typeof r === 'object' &&
    Array.isArray(r.backends) &&
    Array.isArray(r.weights) &&
    Array.isArray(r.headerRoutes)
  )
}

export async function startControlServer(
  proxy: ProxyServer,
  socketPath: string,
  onClose: (drainMs: number) => void,
): Promise<Server> {
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) =>
      send(res, 400, { error: err instanceof Error ? err.message : String(err) }),
    )
  })
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://proxy')
    if (url.pathname === CONTROL.routes && req.method === 'GET') return send(res, 200, proxy.routes)
    if (url.pathname === CONTROL.routes && req.method === 'PUT') {
      const routes = await readJson(req)
      if (!isRoutes(routes)) return send(res, 400, { error: 'not a routing table' })
      proxy.update(routes)
      return send(res, 200, { ok: true })
    }
    if (url.pathname === CONTROL.window && req.method === 'GET') {
      const backend = url.searchParams.get('backend') ?? ''
      const from = Number(url.searchParams.get('from'))
      const to = Number(url.searchParams.get('to'))
      if (backend === '' || !Number.isFinite(from) || !Number.isFinite(to))
        return send(res, 400, { error: 'window needs backend, from and to' })
      return send(res, 200, proxy.traffic.window(backend, from, to))
    }
    if (url.pathname === CONTROL.breakdown && req.method === 'GET') {
      const backend = url.searchParams.get('backend') ?? ''
      const from = Number(url.searchParams.get('from'))
      const to = Number(url.searchParams.get('to'))
      if (backend === '' || !Number.isFinite(from) || !Number.isFinite(to))
        return send(res, 400, { error: 'breakdown needs backend, from and to' })
      return send(res, 200, proxy.traffic.routes.window(backend, from, to))
    }
    if (url.pathname === CONTROL.totals && req.method === 'GET')
      return send(res, 200, totalsOf(proxy.traffic))
    if (url.pathname === CONTROL.close && req.method === 'POST') {
      const drainMs = Number(url.searchParams.get('drainMs') ?? 5000)
      send(res, 202, { closing: true })
      onClose(Number.isFinite(drainMs) ? drainMs : 5000)
      return
    }
    send(res, 404, { error: `no control route ${req.method ?? '?'} ${url.pathname}` })
  }
  // A socket left by a proxy that died is in the way; one that is alive was checked by the daemon.
  await listenOnSocket(server, socketPath)
  return server
}
