/**
 * A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every request (path,
 * headers, JSON body) and answers as the test says — a status, a body, after a delay, or never.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { WebhookPayload } from '../../engine/webhook-types.js'

export interface ReceivedCall {
  path: string
  method: string
  headers: IncomingHttpHeaders
  /** The body parsed as JSON (undefined when it was not JSON). */
  body: WebhookPayload
  text: string
  at: number
}

export interface Reply {
  status: number
  body?: string
  headers?: Record<string, string>
  /** Answer this much later; `hang` never answers (the caller's timeout must end it). */
  delayMs?: number
  hang?: boolean
}

export type Responder = (call: ReceivedCall, index: number) => Reply

export class HookReceiver {
  readonly calls: ReceivedCall[] = []
  /** Requests being answered now, and the most there ever were at once. */
  inFlight = 0
  maxInFlight = 0
  respond: Responder = () => ({ status: 200, body: 'ok' })
  readonly #server: Server
  readonly #port: number

  private constructor(server: Server, port: number) {
    this.#server = server
    this.#port = port
  }

  static async start(respond?: Responder): Promise<HookReceiver> {
    const holder: { receiver?: HookReceiver } = {}
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          body = undefined
        }
        const call: ReceivedCall = {
          path: req.url ?? '/',
          method: req.method ?? '',
          headers: req.headers,
          body: body as WebhookPayload,
          text,
          at: Date.now(),
        }
        const r = holder.receiver
        if (r === undefined) return
        r.calls.push(call)
        r.inFlight++
        r.maxInFlight = Math.max(r.maxInFlight, r.inFlight)
        res.once('close', () => r.inFlight--)
        const reply = r.respond(call, r.calls.length - 1)
        if (reply.hang === true) return
        const send = () => {
          if (res.destroyed) return
          res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers })
          res.end(reply.body ?? '')
        }
        if (reply.delayMs === undefined) send()
        else setTimeout(send, reply.delayMs)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const receiver = new HookReceiver(server, (server.address() as AddressInfo).port)
    if (respond !== undefined) receiver.respond = respond
    holder.receiver = receiver
    return receiver
  }

  get port(): number {
    return this.#port
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.#port}${path}`
  }

  /** Calls to one path, in order. */
  on(path: string): ReceivedCall[] {
    return this.calls.filter((c) => c.path === path)
  }

  close(): Promise<void> {
    this.#server.closeAllConnections()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }
}
