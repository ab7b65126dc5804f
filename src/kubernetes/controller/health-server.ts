/**
 * The controller's own HTTP endpoints: `/healthz` (the process answers), `/readyz` (caches synced),
 * and `/metrics` in Prometheus' text format — reconciles and their latency quantiles, API requests
 * by verb, leadership, work-queue depth, informer restarts, resident memory.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface HealthSource {
  ready(): boolean
  metrics(): string
}

export async function startHealthServer(
  address: string,
  source: HealthSource,
): Promise<{ server: Server; port: number; host: string }> {
  const i = address.lastIndexOf(':')
  const host = i <= 0 ? '0.0.0.0' : address.slice(0, i)
  const port = Number(address.slice(i + 1))
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    } else if (path === '/readyz') {
      const ready = source.ready()
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ready ? 'ok\n' : 'caches not synced\n')
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(source.metrics())
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return { server, port: (server.address() as AddressInfo).port, host }
}

/** Keeps the latest `size` samples; quantiles over them. */
export class Reservoir {
  readonly #samples: number[] = []
  count = 0
  sum = 0

  constructor(private readonly size = 4096) {}

  add(value: number): void {
    this.count++
    this.sum += value
    this.#samples.push(value)
    if (this.#samples.length > this.size) this.#samples.shift()
  }

  quantile(q: number): number {
    if (this.#samples.length === 0) return 0
    const sorted = [...this.#samples].sort((a, b) => a - b)
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  }
}
