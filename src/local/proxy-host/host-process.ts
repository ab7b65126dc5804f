/**
 * The daemon's handle on a rollout's proxy process: start one (and learn at once if its port is
 * taken), adopt one a previous daemon left running, talk to its control socket, and close it.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { request } from 'node:http'
import { dirname, join } from 'node:path'
import type { VersionTraffic } from '../../analysis/traffic.js'
import { ConflictError, DependencyError } from '../../errors.js'
import type { RouteCount } from '../metrics/route-counts.js'
import type { TrafficTotals } from '../metrics/traffic-reader.js'
import { entryArgs, readHello } from '../node-entry.js'
import { carriesEnv, isAlive } from '../process-alive.js'
import type { ProxyRoutes } from '../proxy/index.js'
import { fittingSocketPath } from '../unix-socket.js'
import {
  CONTROL,
  PROXY_CONFIG_ENV,
  PROXY_ID_ENV,
  proxyLogPath,
  type ProxyHostConfig,
  type ProxyHostHello,
  type ProxyHostRecord,
} from './protocol.js'

const HELLO_TIMEOUT_MS = 15_000
const CONTROL_TIMEOUT_MS = 5_000

function socketPathFor(stateDir: string, name: string): string {
  return fittingSocketPath(join(stateDir, 'proxies', `${name}.sock`), 'kanari-proxy')
}

export class ProxyHost {
  private constructor(readonly record: ProxyHostRecord) {}

  get port(): number {
    return this.record.port
  }

  /** Where Prometheus scrapes this proxy: `127.0.0.1:<port>`, if it has a metrics listener. */
  get metricsTarget(): string | undefined {
    return this.record.metricsPort === undefined
      ? undefined
      : `127.0.0.1:${this.record.metricsPort}`
  }

  /** Starts a proxy process for `name` on `host:port`; throws ConflictError when the port is taken. */
  static async start(options: {
    name: string
    host: string
    port: number
    stateDir: string
  }): Promise<ProxyHost> {
    const id = randomUUID()
    const socketPath = socketPathFor(options.stateDir, options.name)
    mkdirSync(dirname(socketPath), { recursive: true })
    const logDir = join(options.stateDir, 'logs')
    mkdirSync(logDir, { recursive: true })
    const logFd = openSync(proxyLogPath(options.stateDir, options.name), 'a')
    const config: ProxyHostConfig = { ...options, socketPath, id }
    const child = spawn(process.execPath, entryArgs(import.meta.url, 'main'), {
      detached: true,
      stdio: ['ignore', 'pipe', logFd],
      env: { ...process.env, [PROXY_CONFIG_ENV]: JSON.stringify(config), [PROXY_ID_ENV]: id },
    })
    closeSync(logFd)
    const answer = await readHello(child, HELLO_TIMEOUT_MS)
    const hello = 'hello' in answer ? (answer.hello as ProxyHostHello) : undefined
    if (hello?.listening !== true) {
      if (child.exitCode === null) child.kill('SIGKILL')
      if (hello?.code === 'EADDRINUSE')
        throw new ConflictError(
          `rollout ${options.name}: spec.service.port ${options.port} is taken by another program (EADDRINUSE)`,
          { hint: 'free the port or pick another spec.service.port, then apply again' },
        )
      throw new DependencyError(
        `rollout ${options.name}: the proxy process did not start${hello === undefined ? '' : `: ${hello.message}`}`,
        { hint: `see ${proxyLogPath(options.stateDir, options.name)}` },
      )
    }
    return new ProxyHost({
      name: options.name,
      id,
      pid: hello.pid,
      port: hello.port,
      socketPath,
      startedAt: Date.now(),
      metricsPort: hello.metricsPort,
    })
  }

  /** The proxy process a previous daemon recorded, if it is still running, ours, and answering. */
  static async adopt(record: ProxyHostRecord): Promise<ProxyHost | undefined> {
    if (!isAlive(record.pid) || !carriesEnv(record.pid, PROXY_ID_ENV, record.id)) return undefined
    const host = new ProxyHost(record)
    try {
      await host.routes()
      return host
    } catch {
      return undefined
    }
  }

  alive(): boolean {
    return isAlive(this.record.pid)
  }

  routes(): Promise<ProxyRoutes> {
    return this.#call<ProxyRoutes>('GET', CONTROL.routes)
  }

  async setRoutes(routes: ProxyRoutes): Promise<void> {
    await this.#call('PUT', CONTROL.routes, routes)
  }

  window(backend: string, fromMs: number, toMs: number): Promise<VersionTraffic> {
    const q = new URLSearchParams({ backend, from: String(fromMs), to: String(toMs) })
    return this.#call<VersionTraffic>('GET', `${CONTROL.window}?${q.toString()}`)
  }

  /** A backend's requests by method, path and status over [fromMs, toMs). */
  breakdown(backend: string, fromMs: number, toMs: number): Promise<RouteCount[]> {
    const q = new URLSearchParams({ backend, from: String(fromMs), to: String(toMs) })
    return this.#call<RouteCount[]>('GET', `${CONTROL.breakdown}?${q.toString()}`)
  }

  totals(): Promise<TrafficTotals> {
    return this.#call<TrafficTotals>('GET', CONTROL.totals)
  }

  /** Drains and stops the process, waiting (bounded) until it is gone. */
  async close(drainMs: number): Promise<void> {
    await this.#call('POST', `${CONTROL.close}?drainMs=${drainMs}`).catch(() => {
      if (this.alive()) process.kill(this.record.pid, 'SIGTERM')
    })
    const deadline = Date.now() + drainMs + 5000
    while (this.alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    if (this.alive()) process.kill(this.record.pid, 'SIGKILL')
  }

  #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = body === undefined ? undefined : JSON.stringify(body)
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.record.socketPath,
          path,
          method,
          timeout: CONTROL_TIMEOUT_MS,
          headers:
            text === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8')
            if ((res.statusCode ?? 0) >= 400) {
              reject(
                new DependencyError(
                  `proxy of ${this.record.name}: ${method} ${path} answered ${res.statusCode ?? '?'}: ${raw}`,
                ),
              )
              return
            }
            try {
              resolve(JSON.parse(raw) as T)
            } catch {
              reject(
                new DependencyError(`proxy of ${this.record.name}: ${method} ${path}: not JSON`),
              )
            }
          })
        },
      )
      req.on('timeout', () => req.destroy(new Error(`no answer in ${CONTROL_TIMEOUT_MS} ms`)))
      req.on('error', (err) =>
        reject(
          new DependencyError(`proxy of ${this.record.name} did not answer: ${err.message}`, {
            cause: err,
          }),
        ),
      )
      req.end(text)
    })
  }
}
