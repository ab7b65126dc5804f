/**
 * The output relay's API on its Unix socket (mode 0600): its status for the supervisor's cache, a
 * scan when a replica starts or goes, and closing.
 */
import { createServer, type Server } from 'node:http'
import { listenOnSocket, sendJson as send } from '../../unix-socket.js'
import type { OutputRelay } from './output-relay.js'
import { RELAY, type RelayScan } from './protocol.js'

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
  await listenOnSocket(server, socketPath)
  return server
}
