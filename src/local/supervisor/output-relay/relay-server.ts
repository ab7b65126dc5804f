/**
 * The output relay's API on its Unix socket (mode 0600): its status for the supervisor's cache, a
 * scan when a replica starts or goes, and closing.
 */
import { chmodSync, rmSync } from 'node:fs'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { OutputRelay } from './output-relay.js'
import { RELAY, type RelayScan } from './protocol.js'

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

export async function startRelayServer(
  relay: OutputRelay,
  socketPath: string,
  events: { onRequest: () => void; onClose: () => void },
): Promise<Server> {
  const server = createServer((req, res) => {
    events.onRequest()
    const path = new URL(req.url ?? '/', 'http://relay').pathname
    if (path === RELAY.status && req.method === 'GET') return send(res, 200, relay.status())
    if (path === RELAY.scan && req.method === 'POST') {
      relay.scan()
      const answer: RelayScan = { fifos: relay.fifos }
      return send(res, 200, answer)
    }
    if (path === RELAY.close && req.method === 'POST') {
      // Closing exits the process: only once the answer is out.
      res.once('finish', events.onClose)
      return send(res, 202, { closing: true })
    }
    send(res, 404, { error: `no relay route ${req.method ?? '?'} ${path}` })
  })
  // Only a socket nobody answers on gets here (main checked): it was left by a relay that died.
  rmSync(socketPath, { force: true })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => {
      server.off('error', reject)
      resolve()
    })
  })
  chmodSync(socketPath, 0o600)
  return server
}
