/** How each service answers a webhook request: accepted, refused as invalid, not found, rate limited. */
import type { ServerResponse } from 'node:http'
import type { ReceiverKind } from './receivers.js'

export function answerAccepted(kind: ReceiverKind, res: ServerResponse): void {
  if (kind === 'slack') res.writeHead(200, { 'content-type': 'text/html' }).end('ok')
  // A Teams workflow accepts the request and runs the flow later.
  else if (kind === 'msteams') res.writeHead(202).end()
  // Without ?wait=true Discord answers 204 No Content.
  else if (kind === 'discord') res.writeHead(204).end()
  else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
}

export function invalid(kind: ReceiverKind, res: ServerResponse, problems: string[]): void {
  if (kind === 'slack') res.writeHead(400, { 'content-type': 'text/html' }).end('invalid_payload')
  else if (kind === 'discord')
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ code: 50035, message: 'Invalid Form Body', errors: problems }))
  else
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { code: 'InvalidRequestContent', message: problems[0] } }))
}

export function notFound(kind: ReceiverKind, res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end(kind === 'slack' ? 'no_service' : '')
}

export function rateLimited(kind: ReceiverKind, res: ServerResponse): void {
  if (kind === 'discord')
    res
      .writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' })
      .end(
        JSON.stringify({ message: 'You are being rate limited.', retry_after: 1, global: false }),
      )
  else res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('rate_limited')
}
