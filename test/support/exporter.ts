/**
 * A metrics exporter the test drives: counters and histograms with the names, labels and buckets of
 * the source being imitated (Istio, ingress-nginx, Envoy, Linkerd), exposed by prom-client in the
 * Prometheus text format on 127.0.0.1 for a real Prometheus to scrape.
 */
import { createServer, type Server } from 'node:http'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

export interface TestExporter {
  /** host:port, for a scrape config. */
  target: string
  counter(name: string, labelNames: string[]): Counter
  gauge(name: string, labelNames: string[]): Gauge
  histogram(name: string, labelNames: string[], buckets: number[]): Histogram
  close(): Promise<void>
}

export async function startExporter(): Promise<TestExporter> {
  const registry = new Registry()
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end()
      return
    }
    registry
      .metrics()
      .then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType }).end(text)
      })
      .catch((err: unknown) => res.writeHead(500).end(String(err)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    target: `127.0.0.1:${port}`,
    counter: (name, labelNames) =>
      new Counter({ name, help: `${name} (test exporter)`, labelNames, registers: [registry] }),
    gauge: (name, labelNames) =>
      new Gauge({ name, help: `${name} (test exporter)`, labelNames, registers: [registry] }),
    histogram: (name, labelNames, buckets) =>
      new Histogram({
        name,
        help: `${name} (test exporter)`,
        labelNames,
        buckets,
        registers: [registry],
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
