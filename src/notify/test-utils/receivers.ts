/**
 * Local stand-ins for Slack, Microsoft Teams and Discord webhooks, and for a generic JSON receiver:
 * real HTTP servers on 127.0.0.1 that check each payload field by field against the service's
 * documented format (./checks/) and answer as the service does (./answers.ts) — accepted, refused
 * with its error, rate limited — or are down, or hang.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { answerAccepted, invalid, notFound, rateLimited } from './answers.js'
import { FORMAT_CHECKS } from './checks/index.js'

export type ReceiverKind = 'slack' | 'msteams' | 'discord' | 'webhook'

/** How the receiver answers: as the service does, or not at all, or with an error. */
export type ReceiverMode =
  | 'accept'
  /** Reads the request and never answers. */
  | 'hang'
  /** Answers 429 with the service's wait (Retry-After 1 s) this many times, then accepts. */
  | { rateLimited: number }
  /** Answers this status (and body) this many times (all, if omitted), then accepts. */
  | { status: number; body?: string; times?: number }

export interface ReceivedRequest {
  /** When it arrived (epoch ms). */
  at: number
  path: string
  contentType: string | undefined
  body: unknown
  /** What does not match the service's documented format; empty when the payload is valid. */
  problems: string[]
}

export interface Receiver {
  kind: ReceiverKind
  /** The full webhook URL, with its secret path. */
  url: string
  /** The secret part of the URL: it must never appear in logs or views. */
  token: string
  mode: ReceiverMode
  /** Every request that reached the receiver, in order. */
  requests: ReceivedRequest[]
  /** The payloads accepted (valid, and answered as delivered). */
  accepted(): unknown[]
  close(): Promise<void>
}

const path: Record<ReceiverKind, (token: string) => string> = {
  slack: (t) => `/services/T0KANARI/B0KANARI/${t}`,
  msteams: (t) => `/workflows/${t}/triggers/manual/paths/invoke`,
  discord: (t) => `/api/webhooks/1234567890/${t}`,
  webhook: (t) => `/hooks/${t}`,
}

/** A receiver of `kind` on 127.0.0.1 with a fresh secret path. */
export async function startReceiver(
  kind: ReceiverKind,
  mode: ReceiverMode = 'accept',
): Promise<Receiver> {
  const token = randomBytes(12).toString('hex')
  const secretPath = path[kind](token)
  const requests: ReceivedRequest[] = []
  const accepted: unknown[] = []
  let refusalsLeft =
    typeof mode === 'object' ? ('rateLimited' in mode ? mode.rateLimited : (mode.times ?? -1)) : 0
  const hanging = new Set<ServerResponse>()
  const receiver: Receiver = {
    kind,
    url: '',
    token,
    mode,
    requests,
    accepted: () => [...accepted],
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server: Server = createServer((req, res) => {
    const at = Date.now()
    void readBody(req).then((text) => {
      const contentType = req.headers['content-type']
      let body: unknown
      const problems: string[] = []
      if (!/^application\/json\b/.test(contentType ?? ''))
        problems.push(`content-type must be application/json (got ${String(contentType)})`)
      try {
        body = JSON.parse(text) as unknown
        problems.push(...FORMAT_CHECKS[kind](body))
      } catch {
        problems.push('body is not JSON')
      }
      requests.push({ at, path: req.url ?? '', contentType, body, problems })
      const m = receiver.mode
      if (req.method !== 'POST' || req.url !== secretPath) return notFound(kind, res)
      if (m === 'hang') {
        hanging.add(res)
        return
      }
      if (typeof m === 'object' && refusalsLeft !== 0) {
        refusalsLeft--
        if ('rateLimited' in m) return rateLimited(kind, res)
        res.writeHead(m.status, { 'content-type': 'text/plain' }).end(m.body ?? '')
        return
      }
      if (problems.length > 0) return invalid(kind, res, problems)
      accepted.push(body)
      answerAccepted(kind, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${secretPath}`
  return receiver
}

/** A webhook URL where nothing listens: a port taken and released. */
export async function downUrl(kind: ReceiverKind): Promise<{ url: string; token: string }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const token = randomBytes(12).toString('hex')
  return { url: `http://127.0.0.1:${port}${path[kind](token)}`, token }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
  })
}
