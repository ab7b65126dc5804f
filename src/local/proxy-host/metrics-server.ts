/**
 * The proxy process's `/metrics` for Prometheus, on a loopback port of its own (chosen free at start,
 * reported to the daemon, listed by the daemon's service discovery): apart from the service port so
 * that no path of the user's app is taken, and readable while the daemon is down.
 */
import { createServer, type Server } from 'node:http'
import type { ProxyMetrics } from '../metrics/proxy-metrics.js'

export const METRICS_PATH = '/metrics'

export async function startMetricsServer(metrics: ProxyMetrics, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').replace(/\?.*$/, '')
    if (req.method !== 'GET' || path !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`only GET ${METRICS_PATH} here\n`)
      return
    }
    metrics
      .text()
      .then((text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text))
      .catch((err: unknown) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
      )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server
}
