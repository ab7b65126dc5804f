/**
 * Proxy benchmark: requests per second (closed loop, 50 connections) and p50/p99 latency at a fixed
 * 500 rps, for a demo-app replica reached directly and through Kanari's proxy at 100/0 and 50/50.
 * Each measurement runs 3 times; medians are reported with ratios against direct from the same run.
 * The load generator, the proxy and the apps share this machine's cores, so absolute numbers are
 * lower than on dedicated hardware; the ratios are what to compare.
 * Run: `npm run bench:proxy [-- --output json --reps 3 --seconds 4]`
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { Pool, request } from 'undici'
import { runLoad } from '../src/local/load/index.js'
import { freePort } from '../src/local/free-port.js'
import type { ProxyRoutes } from '../src/local/proxy/index.js'

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN
  return Number.isFinite(v) ? v : fallback
}
const json =
  process.argv.includes('--output') && process.argv[process.argv.indexOf('--output') + 1] === 'json'
const REPS = arg('reps', 3)
const SECONDS = arg('seconds', 4)
const CONNECTIONS = 50
const FIXED_RPS = 500
const children: ChildProcess[] = []
const log = (s: string): void => {
  if (!json) process.stderr.write(`${s}\n`)
}

async function start(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const port = await new Promise<number>((resolve, reject) => {
    rl.on('line', (line) => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(line) ?? /^(\d+)$/.exec(line.trim())
      if (m?.[1] !== undefined) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)))
  })
  child.stdout.resume()
  return { child, port }
}

async function demoApp(color: string): Promise<number> {
  const { child, port } = await start(
    [fileURLToPath(new URL('../demo-app/server.js', import.meta.url))],
    { PORT: String(await freePort()), COLOR: color },
  )
  // The app logs a line per request; drop it so logging to a pipe doesn't dominate.
  child.stdout?.removeAllListeners('data')
  child.stdout?.resume()
  return port
}

async function proxyFor(routes: ProxyRoutes): Promise<number> {
  const { port } = await start([
    '--import',
    'tsx',
    fileURLToPath(new URL('./proxy-process.ts', import.meta.url)),
    JSON.stringify(routes),
  ])
  return port
}

/** Closed loop: CONNECTIONS workers, each sending the next request when the last answered. */
async function throughput(port: number): Promise<number> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS })
  const deadline = performance.now() + SECONDS * 1000
  let done = 0
  let failed = 0
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const res = await pool.request({ path: '/color', method: 'GET' })
        await res.body.dump()
        if (res.statusCode === 200) done++
        else failed++
      }
    }),
  )
  await pool.close()
  if (failed > 0) throw new Error(`${failed} requests failed during the throughput run`)
  return done / SECONDS
}

async function latency(port: number): Promise<{ p50: number; p99: number }> {
  const s = await runLoad({
    url: `http://127.0.0.1:${port}/color`,
    rps: FIXED_RPS,
    durationMs: SECONDS * 1000,
    concurrencyCap: 200,
  })
  if (s.failed > 0) throw new Error(`${s.failed} requests failed during the latency run`)
  return { p50: s.latencyMs.p50, p99: s.latencyMs.p99 }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

try {
  log(
    `proxy benchmark: ${cpus().length} cores, ${REPS} runs × ${SECONDS}s each, ${CONNECTIONS} connections, fixed rate ${FIXED_RPS} rps`,
  )
  const [blue, green] = await Promise.all([demoApp('blue'), demoApp('green')])
  const endpoints = (port: number) => [{ host: '127.0.0.1', port }]
  const backends = [
    { id: 'rev-1', endpoints: endpoints(blue) },
    { id: 'rev-2', endpoints: endpoints(green) },
  ]
  const p100 = await proxyFor({
    backends,
    weights: [
      { backend: 'rev-1', weight: 100 },
      { backend: 'rev-2', weight: 0 },
    ],
    headerRoutes: [],
  })
  const p50 = await proxyFor({
    backends,
    weights: [
      { backend: 'rev-1', weight: 50 },
      { backend: 'rev-2', weight: 50 },
    ],
    headerRoutes: [],
  })
  for (const port of [blue, p100, p50])
    await (await request(`http://127.0.0.1:${port}/color`)).body.dump()

  const targets = [
    { name: 'direct (one replica)', port: blue },
    { name: 'proxy 100/0', port: p100 },
    { name: 'proxy 50/50', port: p50 },
  ]
  const samples = new Map(
    targets.map((t) => [t.name, { rps: [] as number[], p50: [] as number[], p99: [] as number[] }]),
  )
  for (let rep = 1; rep <= REPS; rep++) {
    // Interleave targets within each repetition so drift in machine load hits all of them alike.
    for (const t of targets) {
      const s = samples.get(t.name)
      if (s === undefined) continue
      s.rps.push(await throughput(t.port))
      const l = await latency(t.port)
      s.p50.push(l.p50)
      s.p99.push(l.p99)
      log(
        `  run ${rep} ${t.name}: ${Math.round(s.rps.at(-1) ?? 0)} req/s, p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms`,
      )
    }
  }
  const rows = targets.map((t) => {
    const s = samples.get(t.name) ?? { rps: [], p50: [], p99: [] }
    return {
      target: t.name,
      rps: median(s.rps),
      p50Ms: median(s.p50),
      p99Ms: median(s.p99),
      runs: s,
    }
  })
  const direct = rows[0]
  const result = {
    cores: cpus().length,
    reps: REPS,
    seconds: SECONDS,
    connections: CONNECTIONS,
    fixedRps: FIXED_RPS,
    rows: rows.map((r) => ({
      ...r,
      throughputVsDirect: direct === undefined ? Number.NaN : r.rps / direct.rps,
      addedP99Ms: direct === undefined ? Number.NaN : r.p99Ms - direct.p99Ms,
    })),
  }
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  else {
    console.log(
      '\ntarget                 req/s (median)  vs direct   p50 @500rps  p99 @500rps  added p99',
    )
    for (const r of result.rows) {
      console.log(
        `${r.target.padEnd(23)}${String(Math.round(r.rps)).padEnd(16)}${`${(100 * r.throughputVsDirect).toFixed(0)}%`.padEnd(12)}${`${r.p50Ms.toFixed(2)} ms`.padEnd(13)}${`${r.p99Ms.toFixed(2)} ms`.padEnd(13)}${r.target.startsWith('direct') ? '—' : `${r.addedP99Ms.toFixed(2)} ms`}`,
      )
    }
    console.log(
      '\nthe load generator, the proxy and the apps share the same cores: compare ratios, not absolutes',
    )
  }
} finally {
  for (const c of children) c.kill('SIGTERM')
}
