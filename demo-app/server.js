// @ts-check
/**
 * The demo service: its version is a color. GET /color answers the color as JSON, GET / serves a page
 * that keeps requesting /color and paints each answer as a cell, so a person sees the canary's share
 * grow. Faults are set by environment: ERROR_RATE (percent of 500s), LATENCY_MS (added delay, ±20%
 * jitter), CAPACITY_RPS (above this request rate the excess waits and answers 503: a fault that only
 * shows at scale), CRASH_AFTER_MS (exit after this long). An injected failure is a real exception
 * whose stack trace goes to stderr, as an app's unhandled error would: what a diagnosis finds.
 * It listens on HOST (default 127.0.0.1), port PORT.
 *
 * GET /checkout?user=ID is a feature switched by a flag inside one version: with FLAGS_URL (a Kanari
 * daemon) it asks OFREP for FEATURE_FLAG (default new-checkout) with the user as targeting key, serves
 * the new checkout when the flag is true (failing FEATURE_ERROR_RATE percent of those requests), and
 * reports every outcome with its variant to the daemon, which is what a flag rollout judges.
 */
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'

const port = Number(process.env.PORT)
// The address to listen on: a pod IP when the app runs as a test cluster's pod, else loopback.
const host =
  process.env.HOST === undefined || process.env.HOST === '' ? '127.0.0.1' : process.env.HOST
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write(
    `demo-app: PORT must be set to a port number (got ${JSON.stringify(process.env.PORT ?? null)})\n`,
  )
  process.exit(2)
}

/** @param {string} name @param {number} fallback */
function numberEnv(name, fallback) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`demo-app: ${name} must be a number of 0 or more (got "${raw}")\n`)
    process.exit(2)
  }
  return n
}

const color = process.env.COLOR ?? 'blue'
const version = process.env.VERSION ?? color
const errorRate = numberEnv('ERROR_RATE', 0)
const latencyMs = numberEnv('LATENCY_MS', 0)
const capacityRps = numberEnv('CAPACITY_RPS', 0)
const overloadLatencyMs = numberEnv('OVERLOAD_LATENCY_MS', 300)
const crashAfterMs = numberEnv('CRASH_AFTER_MS', 0)
const flagsUrl = process.env.FLAGS_URL ?? ''
const featureFlag = process.env.FEATURE_FLAG ?? 'new-checkout'
const featureErrorRate = numberEnv('FEATURE_ERROR_RATE', 0)
const page = readFileSync(new URL('./index.html', import.meta.url), 'utf8')

/** Times (ms) of requests accepted over the last two seconds, for the capacity fault. */
const arrivals = []
/** Accepted requests per second over a 2-second window: smooth enough that only sustained load trips it. */
function currentRate(/** @type {number} */ now) {
  while (arrivals.length > 0 && (arrivals[0] ?? 0) < now - 2000) arrivals.shift()
  return arrivals.length / 2
}

/** Outcomes not yet reported: { flag, variant, error, latencyMs, at }. */
/** @type {{ flag: string, variant: string, error: boolean, latencyMs: number, at: number }[]} */
let outcomes = []
if (flagsUrl !== '')
  setInterval(() => {
    if (outcomes.length === 0) return
    const batch = outcomes
    outcomes = []
    fetch(`${flagsUrl}/api/v1/flag-outcomes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcomes: batch }),
    }).catch(() => undefined)
  }, 250).unref()

/** The flag's variant and value for one user (the code default, off, when it cannot be asked). */
async function evaluateFeature(/** @type {string} */ user) {
  if (flagsUrl === '') return { variant: 'default', on: false }
  try {
    const res = await fetch(
      `${flagsUrl}/ofrep/v1/evaluate/flags/${encodeURIComponent(featureFlag)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ context: { targetingKey: user } }),
      },
    )
    const body = /** @type {{ value?: unknown, variant?: string }} */ (await res.json())
    return { variant: body.variant ?? 'default', on: body.value === true }
  } catch {
    return { variant: 'default', on: false }
  }
}

/** Swatches by color; a failing request asks for a shade the palette does not have. */
const palette = {
  blue: { hex: '#2f6fdf' },
  green: { hex: '#2faf5f' },
  red: { hex: '#df3f3f' },
  yellow: { hex: '#e5c02f' },
  purple: { hex: '#8f4fcf' },
}

/** @param {string} name */
function swatchOf(name) {
  return /** @type {Record<string, { hex: string }>} */ (palette)[name]?.hex.toUpperCase() ?? ''
}

/** @param {string} name @param {boolean} shaded */
function paint(name, shaded) {
  // The shaded variant of a color is looked up by a key the palette never has: a TypeError.
  const entry = /** @type {Record<string, { hex: string } | undefined>} */ (palette)[
    shaded ? `${name}-shade` : name
  ]
  return /** @type {{ hex: string }} */ (entry).hex.toUpperCase()
}

let served = 0
const server = createServer((req, res) => {
  const started = Date.now()
  const url = new URL(req.url ?? '/', 'http://localhost')
  const done = (
    /** @type {number} */ status,
    /** @type {string} */ type,
    /** @type {string} */ body,
  ) => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'x-demo-color': color,
    })
    res.end(body)
    served++
    process.stdout.write(
      `${new Date().toISOString()} ${req.method} ${url.pathname} ${status} ${Date.now() - started}ms color=${color}\n`,
    )
  }
  if (url.pathname === '/healthz') return done(200, 'text/plain', 'ok\n')
  if (url.pathname === '/') return done(200, 'text/html; charset=utf-8', page)
  if (url.pathname === '/stats')
    return done(
      200,
      'application/json',
      JSON.stringify({ color, version, served, pid: process.pid }),
    )
  if (url.pathname === '/checkout') {
    const user = url.searchParams.get('user') ?? ''
    void evaluateFeature(user).then(({ variant, on }) => {
      const fail = on && Math.random() * 100 < featureErrorRate
      done(
        fail ? 500 : 200,
        'application/json',
        JSON.stringify({
          checkout: on ? 'new' : 'old',
          variant,
          user,
          ...(fail ? { error: 'new checkout failed' } : {}),
        }),
      )
      if (flagsUrl !== '')
        outcomes.push({
          flag: featureFlag,
          variant,
          error: fail,
          latencyMs: Date.now() - started,
          at: Date.now(),
        })
    })
    return
  }
  if (url.pathname !== '/color') return done(404, 'text/plain', 'not found\n')

  // Only the requests beyond capacity fail: accepted ones count toward the rate, rejected ones don't.
  const now = Date.now()
  const overloaded = capacityRps > 0 && currentRate(now) >= capacityRps
  if (!overloaded) arrivals.push(now)
  const jitter = 0.8 + Math.random() * 0.4
  const delay = overloaded ? overloadLatencyMs * jitter : latencyMs * jitter
  const fail = overloaded || Math.random() * 100 < errorRate
  setTimeout(() => {
    if (overloaded)
      return done(503, 'application/json', JSON.stringify({ error: 'overloaded', color, version }))
    let hex = swatchOf(color)
    try {
      if (fail) hex = paint(color, true)
    } catch (err) {
      process.stderr.write(
        `${new Date().toISOString()} ERROR ${req.method} ${url.pathname} failed: ${/** @type {Error} */ (err).stack}\n`,
      )
      return done(
        500,
        'application/json',
        JSON.stringify({ error: 'internal error', color, version }),
      )
    }
    done(200, 'application/json', JSON.stringify({ color, version, hex, pid: process.pid }))
  }, delay)
})

server.keepAliveTimeout = 65_000
server.on('error', (err) => {
  process.stderr.write(
    `demo-app: cannot listen on ${host}:${port}: ${err.message} (set HOST and PORT)\n`,
  )
  process.exit(2)
})
server.listen(port, host, () => {
  process.stdout.write(
    `${new Date().toISOString()} demo-app ${version} (${color}) listening on ${host}:${port}\n`,
  )
})

if (crashAfterMs > 0) {
  setTimeout(() => {
    process.stderr.write(
      `${new Date().toISOString()} demo-app crashing on purpose after ${crashAfterMs}ms (CRASH_AFTER_MS)\n`,
    )
    process.exit(1)
  }, crashAfterMs).unref()
}

process.on('SIGTERM', () => {
  // Stop accepting, let in-flight requests finish, then exit.
  server.close(() => process.exit(0))
  server.closeIdleConnections()
  setTimeout(() => process.exit(0), 5000).unref()
})
