/**
 * Mirroring: a copy of a request goes to the mirror backend once its body is complete, and the
 * answer is only recorded, never returned, so the client is never slowed or affected by the mirror.
 */
import type { IncomingMessage } from 'node:http'
import { PassThrough, type Readable } from 'node:stream'
import type { TrafficRecorder } from '../metrics/traffic-recorder.js'
import { forwardHeaders } from './hop-by-hop-headers.js'
import type { Upstreams } from './upstreams.js'

const MIRROR_MAX_IN_FLIGHT = 64
/** Request bodies up to this size are copied to the mirror; larger ones are not mirrored (counted as dropped). */
export const MIRROR_MAX_BODY_BYTES = 1024 * 1024

export class Mirror {
  #inFlight = 0
  readonly #upstreams: Upstreams
  readonly #traffic: TrafficRecorder

  constructor(upstreams: Upstreams, traffic: TrafficRecorder) {
    this.#upstreams = upstreams
    this.#traffic = traffic
  }

  /** Sends a copy of the request (with `body`, already complete) to `backend`; the answer is discarded. */
  send(req: IncomingMessage, backend: string, body: Buffer | null): void {
    const traffic = this.#traffic
    const ep = this.#upstreams.endpoints(backend)?.pick()
    if (ep === undefined || this.#inFlight >= MIRROR_MAX_IN_FLIGHT) {
      traffic.recordMirror(backend, true)
      return
    }
    this.#inFlight++
    traffic.recordMirror(backend, false)
    const headers = forwardHeaders(req, false)
    headers['x-kanari-mirror'] = '1'
    if (req.headers.host !== undefined) headers.host = `${req.headers.host}-shadow`
    if (body !== null) headers['content-length'] = String(body.length)
    const started = performance.now()
    this.#upstreams
      .poolFor(ep)
      .request({ path: req.url ?? '/', method: req.method ?? 'GET', headers, body })
      .then(async (res) => {
        // A body dump cut short (too large) still leaves the status the version answered with.
        await res.body.dump().catch(() => undefined)
        traffic.recordShadow(backend, res.statusCode, performance.now() - started)
        traffic.routes.record(backend, req.method ?? 'GET', req.url ?? '/', res.statusCode)
      })
      .catch((err: unknown) => {
        // Nothing listening is not how the version answered: keep it out of its shadow traffic.
        if ((err as { code?: string }).code === 'ECONNREFUSED')
          traffic.recordProxyAnswer(backend, 'connection-refused')
        else traffic.recordShadow(backend, 0, performance.now() - started)
      })
      .finally(() => this.#inFlight--)
  }

  /**
   * Mirrors a request that has a body: the client's body streams on to the primary backend through the
   * returned stream as it arrives, while a copy (up to MIRROR_MAX_BODY_BYTES) is kept and sent to the
   * mirror once the body is complete. The client is never slowed by the mirror.
   */
  tee(req: IncomingMessage, backend: string): Readable {
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
      if (chunks === null) this.#traffic.recordMirror(backend, true)
      else this.send(req, backend, Buffer.concat(chunks, size))
    })
    req.once('error', (err) => primary.destroy(err))
    req.once('aborted', () => primary.destroy(new Error('client aborted the request body')))
    return primary
  }
}
