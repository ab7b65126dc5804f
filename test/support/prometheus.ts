/**
 * A real Prometheus (Debian's /usr/bin/prometheus) for tests: on 127.0.0.1, a free port, a temporary
 * directory, a generated configuration and a 1 s scrape interval. Targets are static or found by HTTP
 * service discovery (how Kanari's daemon lists its proxies). Stopped and removed by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { freePort } from '../../src/local/free-port.js'
import { PrometheusClient, type QueryResult } from '../../src/providers/prometheus/client.js'

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus'

export interface ScrapeJob {
  job: string
  /** host:port of each target (static). */
  targets?: string[]
  /** An HTTP service discovery URL that lists targets (Prometheus' http_sd format). */
  discovery?: string
  path?: string
  /** Bearer token Prometheus sends to the targets. */
  bearerToken?: string
}

export interface PrometheusOptions {
  jobs: ScrapeJob[]
  scrapeIntervalSeconds?: number
  /** Protect the API with basic auth (Prometheus' web config): the provider's auth is tested on it. */
  basicAuth?: { username: string; bcryptHash: string }
}

export interface TestPrometheus {
  url: string
  port: number
  readonly pid: number
  client: PrometheusClient
  /** An instant query now; throws on an error answer. */
  query(q: string): Promise<QueryResult>
  /** Waits until an instant query gives at least one series (or a scalar), and returns it. */
  waitForData(q: string, timeoutMs?: number): Promise<QueryResult>
  /** Pauses (SIGSTOP) or resumes (SIGCONT) the process: a server that accepts but does not answer. */
  freeze(): void
  thaw(): void
  /** Stops the server (SIGTERM) but keeps its data and port: a monitoring outage. */
  halt(): Promise<void>
  /** Starts it again (if halted) on the same port and data, and waits until it is ready. */
  restart(): Promise<void>
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

function scrapeConfig(job: ScrapeJob, interval: number): Record<string, unknown> {
  const c: Record<string, unknown> = {
    job_name: job.job,
    scrape_interval: `${interval}s`,
    scrape_timeout: `${interval}s`,
    metrics_path: job.path ?? '/metrics',
  }
  if (job.targets !== undefined) c.static_configs = [{ targets: job.targets }]
  if (job.discovery !== undefined)
    c.http_sd_configs = [{ url: job.discovery, refresh_interval: `${interval}s` }]
  if (job.bearerToken !== undefined)
    c.authorization = { type: 'Bearer', credentials: job.bearerToken }
  return c
}

export function hasPrometheus(): boolean {
  return existsSync(PROMETHEUS_BIN)
}

export async function startPrometheus(options: PrometheusOptions): Promise<TestPrometheus> {
  if (!hasPrometheus())
    throw new Error(
      `${PROMETHEUS_BIN} is missing: install Debian's prometheus package (apt-get install -y prometheus), or set PROMETHEUS_BIN`,
    )
  const interval = options.scrapeIntervalSeconds ?? 1
  const dir = mkdtempSync(join(tmpdir(), 'kanari-prometheus-'))
  const config = {
    global: { scrape_interval: `${interval}s`, evaluation_interval: `${interval}s` },
    scrape_configs: options.jobs.map((j) => scrapeConfig(j, interval)),
  }
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2))
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ]
  if (options.basicAuth !== undefined) {
    const web = { basic_auth_users: { [options.basicAuth.username]: options.basicAuth.bcryptHash } }
    writeFileSync(join(dir, 'web.yml'), JSON.stringify(web))
    args.push(`--web.config.file=${join(dir, 'web.yml')}`)
  }
  /** Starts the server on `at`; undefined when that port was taken meanwhile. */
  const launch = async (at: number): Promise<ChildProcess | undefined> => {
    const c = spawn(PROMETHEUS_BIN, [...args, `--web.listen-address=127.0.0.1:${at}`], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    c.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000)
    })
    running.add(c)
    if (await waitReady(at, c, options.basicAuth !== undefined)) return c
    running.delete(c)
    c.kill('SIGKILL')
    if (/address already in use/.test(stderr)) return undefined
    throw new Error(`prometheus did not start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)
  }
  const terminate = async (c: ChildProcess): Promise<void> => {
    running.delete(c)
    if (c.exitCode !== null || c.signalCode !== null) return
    c.kill('SIGCONT')
    const exited = new Promise<void>((r) => c.once('exit', () => r()))
    c.kill('SIGTERM')
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  let port = 0
  let child: ChildProcess | undefined
  // A port taken between picking and binding: try another.
  for (let attempt = 0; attempt < 3 && child === undefined; attempt++) {
    port = await freePort()
    child = await launch(port)
  }
  if (child === undefined) throw new Error('prometheus could not find a free port')
  let proc = child
  const url = `http://127.0.0.1:${port}`
  const client = new PrometheusClient({ address: url, timeoutMs: 10_000 })
  const query = async (q: string): Promise<QueryResult> => {
    const outcome = await client.instant(q, Date.now())
    if (!outcome.ok) throw new Error(outcome.error)
    return outcome.result
  }
  return {
    url,
    port,
    client,
    query,
    async waitForData(q, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        let last = 'no series yet'
        try {
          const r = await query(q)
          if (r.resultType === 'scalar' || (r.resultType !== 'string' && r.series.length > 0))
            return r
        } catch (err) {
          last = err instanceof Error ? err.message : String(err)
        }
        if (Date.now() > deadline)
          throw new Error(`no data from Prometheus for ${q} within ${timeoutMs} ms (${last})`)
        await new Promise((r) => setTimeout(r, 250))
      }
    },
    get pid() {
      return proc.pid ?? 0
    },
    freeze: () => proc.kill('SIGSTOP'),
    thaw: () => proc.kill('SIGCONT'),
    halt: () => terminate(proc),
    async restart() {
      await terminate(proc)
      const again = await launch(port)
      if (again === undefined)
        throw new Error(`prometheus could not start again: port ${port} was taken meanwhile`)
      proc = again
    },
    async stop() {
      await terminate(proc)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function waitReady(port: number, child: ChildProcess, auth: boolean): Promise<boolean> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false
    try {
      const res = await request(`http://127.0.0.1:${port}/-/ready`)
      await res.body.dump()
      if (res.statusCode === 200 || (auth && res.statusCode === 401)) return true
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}
