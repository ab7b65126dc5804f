/**
 * The request hot path: route a request, stream it to an endpoint of the chosen backend over its
 * pool, stream the answer back, retry an idempotent bodiless request once on a refused connection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import {
  NO_BACKEND,
  type ProxyAnswerReason,
  type TrafficRecorder,
} from '../metrics/traffic-recorder.js'
import type { InFlightRequests } from './drain.js'
import { endpointKey } from './endpoint-set.js'
import { forwardHeaders, responseHeaders } from './hop-by-hop-headers.js'
import type { Mirror } from './mirror.js'
import { chooseRoute } from './routing.js'
import type { Endpoint } from './types.js'
import type { Upstreams } from './upstreams.js'

export interface ForwarderParts {
  /** The proxy's name, shown in the error pages it writes itself. */
  name: string
  traffic: TrafficRecorder
  upstreams: Upstreams
  mirror: Mirror
  inFlight: InFlightRequests
}

function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')
  )
}

/** Built once per proxy, so each request only allocates what it needs itself. */
export function createForwarder(
  parts: ForwarderParts,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { name, traffic, upstreams, mirror, inFlight } = parts

  /**
   * An error page the proxy writes itself. With a reason it is the proxy's own answer, counted apart
   * from the app's; without one the app's failure was already recorded.
   */
  const fail = (
    res: ServerResponse,
    backend: string | undefined,
    status: number,
    message: string,
    reason: ProxyAnswerReason | null,
  ): void => {
    if (reason !== null) traffic.recordProxyAnswer(backend ?? NO_BACKEND, reason)
    if (!res.headersSent) {
      res.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        ...(backend === undefined ? {} : { 'x-kanari-backend': backend }),
      })
      res.end(`kanari proxy (${name}): ${message}\n`)
    } else res.destroy()
  }

  return (req, res) => {
    const started = performance.now()
    inFlight.track(res)
    const decision = chooseRoute(upstreams.routes, req.headers)
    const backend = decision.backend
    const body = hasBody(req)
    let bodySource: Readable | null = body ? req : null
    if (decision.mirror !== undefined) {
      if (body) bodySource = mirror.tee(req, decision.mirror)
      else mirror.send(req, decision.mirror, null)
    }
    if (backend === undefined) {
      fail(res, undefined, 503, 'no backend has traffic (no revision is serving yet)', 'no-backend')
      return
    }
    const set = upstreams.endpoints(backend)
    const first = set?.pick()
    if (set === undefined || first === undefined) {
      fail(res, backend, 503, `backend ${backend} has no ready endpoint`, 'no-ready-endpoint')
      return
    }
    const headers = forwardHeaders(req, false)
    const attempt = (ep: Endpoint, retried: boolean): void => {
      let status = 0
      // stream() writes the upstream body straight into the client response (no extra Readable).
      upstreams
        .poolFor(ep)
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
        .then(() => {
          traffic.record(backend, status, performance.now() - started)
          traffic.routes.record(backend, req.method ?? 'GET', req.url ?? '/', status)
        })
        .catch((err: unknown) => {
          const code = (err as { code?: string }).code ?? ''
          if (status !== 0 || res.headersSent) {
            // The answer had started: the client sees a cut response; count what it was.
            traffic.record(backend, status, performance.now() - started)
            traffic.routes.record(backend, req.method ?? 'GET', req.url ?? '/', status)
            res.destroy()
            return
          }
          if (code === 'ECONNREFUSED') set.coolDown(endpointKey(ep))
          const idempotent =
            req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS'
          // A body may be half consumed by the failed attempt, so only bodiless requests are retried.
          const next =
            !retried && !body && idempotent && code === 'ECONNREFUSED'
              ? set.pick(endpointKey(ep))
              : undefined
          if (next !== undefined) attempt(next, true)
          // The client is gone only when its connection is: undici destroys a request body it was
          // streaming when the upstream fails, which marks `req` destroyed (and detaches its
          // socket) while the client still waits for an answer on `res`.
          else if (res.destroyed || res.socket === null || res.socket.destroyed)
            traffic.recordProxyAnswer(backend, 'client-closed')
          else if (code === 'ECONNREFUSED')
            fail(
              res,
              backend,
              502,
              `nothing listens for ${backend} at ${ep.host}:${ep.port} (connection refused)`,
              'connection-refused',
            )
          else {
            // The app accepted the request and failed it (reset, timeout): its error.
            traffic.record(backend, 0, performance.now() - started)
            traffic.routes.record(backend, req.method ?? 'GET', req.url ?? '/', 0)
            fail(
              res,
              backend,
              502,
              `no answer from ${backend} at ${ep.host}:${ep.port} (${code || (err as Error).message})`,
              null,
            )
          }
        })
    }
    attempt(first, false)
  }
}
