/**
 * A small JSON HTTP router for the daemon's REST API on 127.0.0.1: routes by method and path
 * pattern, reads JSON bodies with a size cap, checks the bearer token on state-changing calls, and
 * maps Kanari errors to HTTP statuses in one place.
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { InputError, KanariError, NotFoundError } from '../../errors.js'

export interface ApiRequest {
  params: Record<string, string>
  query: URLSearchParams
  body: unknown
  raw: IncomingMessage
}

export type ApiHandler = (req: ApiRequest, res: ServerResponse) => Promise<unknown>

interface Route {
  method: string
  pattern: RegExp
  keys: string[]
  handler: ApiHandler
  mutating: boolean
}

const MAX_BODY_BYTES = 4 * 1024 * 1024

export class ApiRouter {
  readonly #routes: Route[] = []

  constructor(private readonly token: string) {}

  /** `path` like `/api/v1/rollouts/:name/promote`. Non-GET routes require the token. */
  on(method: string, path: string, handler: ApiHandler): this {
    const keys: string[] = []
    const pattern = new RegExp(
      '^' +
        path.replace(/:([a-zA-Z]+)/g, (_, k: string) => {
          keys.push(k)
          return '([^/]+)'
        }) +
        '$',
    )
    this.#routes.push({ method, pattern, keys, handler, mutating: method !== 'GET' })
    return this
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const route = this.#routes.find(
        (r) => r.method === req.method && r.pattern.test(url.pathname),
      )
      if (route === undefined) {
        const known = this.#routes.some((r) => r.pattern.test(url.pathname))
        throw known
          ? new InputError(`${req.method ?? '?'} is not allowed on ${url.pathname}`)
          : new NotFoundError(`no API route ${req.method ?? '?'} ${url.pathname}`)
      }
      if (route.mutating && !this.#authorized(req)) {
        sendJson(res, 401, {
          error: {
            code: 'KANARI_UNAUTHORIZED',
            message: 'missing or wrong bearer token',
            hint: 'the token is in <state-dir>/api.json',
          },
        })
        return
      }
      const match = route.pattern.exec(url.pathname)
      const params: Record<string, string> = {}
      route.keys.forEach((k, i) => (params[k] = decodeURIComponent(match?.[i + 1] ?? '')))
      const body = route.mutating ? await readJson(req) : undefined
      const result = await route.handler({ params, query: url.searchParams, body, raw: req }, res)
      if (!res.headersSent) sendJson(res, 200, result ?? {})
    } catch (err) {
      if (res.headersSent) {
        res.destroy()
        return
      }
      if (err instanceof KanariError) sendJson(res, err.httpStatus, { error: err.toJSON() })
      else
        sendJson(res, 500, {
          error: {
            code: 'KANARI_INTERNAL',
            message: err instanceof Error ? err.message : String(err),
          },
        })
    }
  }

  #authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? ''
    const given = Buffer.from(header.replace(/^Bearer\s+/i, ''))
    const want = Buffer.from(this.token)
    return given.length === want.length && timingSafeEqual(given, want)
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new InputError(`request body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  if (size === 0) return {}
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
  } catch {
    throw new InputError('request body is not valid JSON')
  }
}
