/**
 * A loopback HTTP server that answers whatever the test sets, for the few answers a real server never
 * gives on demand: an HTML login page where Prometheus' JSON was expected, an API that insists on a
 * bearer token. Everything else is tested against the real Prometheus.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'

export interface StandIn {
  url: string
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[]
  answer: (req: IncomingMessage, body: string) => { status: number; type: string; body: string }
  close(): Promise<void>
}

export async function startStandIn(answer: StandIn['answer']): Promise<StandIn> {
  const standIn = { requests: [] as StandIn['requests'], answer } as StandIn
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      standIn.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
      })
      const a = standIn.answer(req, body)
      res.writeHead(a.status, { 'content-type': a.type }).end(a.body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = server.address()
  standIn.url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  standIn.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections()
      server.close(() => r())
    })
  return standIn
}
