/**
 * Flag evaluation benchmark. In-process: evaluations per second of Kanari's evaluator and of
 * `@openfeature/flagd-core` (flagd's own TypeScript evaluator) side by side in the same run, for a
 * static flag, a targeting rule and a fractional split, interleaved round by round so a busy moment
 * on a shared machine weighs on both; medians and Kanari's ratio. Over HTTP: OFREP requests per second
 * through a real daemon (its own process, started here) with p50 and p99, from a bounded load
 * (a fixed number of keep-alive connections for a few seconds). Reloads: a 10,000-flag file saved
 * every second (one flag edited per save) while an unrelated flag is evaluated over OFREP at a fixed
 * rate, each latency counted from when the request was due (so a stalled daemon cannot hide behind
 * requests it delayed); p99 with saves against the same load without them, median of the runs.
 * Run: `npm run bench:flags [-- --rounds 7 --seconds 3 --output json]`; only the reload case:
 * `npm run bench:flags -- --reload-only [--flags 10000 --reload-seconds 10 --reload-runs 3]`
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FlagdCore } from '@openfeature/flagd-core'
import { Pool } from 'undici'
import { checkFlagDocument, FlagSet } from '../src/flags/index.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN
  return Number.isFinite(v) ? v : fallback
}
const json =
  process.argv.includes('--output') && process.argv[process.argv.indexOf('--output') + 1] === 'json'
const ROUNDS = arg('rounds', 7)
const SECONDS = arg('seconds', 3)
const CONNECTIONS = arg('connections', 8)
const log = (s: string): void => {
  if (!json) process.stderr.write(`${s}\n`)
}

const DOCUMENT = {
  flags: {
    static: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' },
    targeting: {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        if: [
          {
            and: [{ ends_with: [{ var: 'email' }, '@kanari.dev'] }, { '>=': [{ var: 'age' }, 18] }],
          },
          'on',
          { in: [{ var: 'country' }, ['NL', 'DE', 'FR']] },
          'on',
          null,
        ],
      },
    },
    fractional: {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        fractional: [
          ['on', 2500],
          ['off', 7500],
        ],
      },
    },
  },
} as const

const checked = checkFlagDocument(DOCUMENT)
if (checked.document === undefined) throw new Error('benchmark document is invalid')
const kanari = new FlagSet(checked.document)
const flagd = new FlagdCore()
flagd.setConfigurations(JSON.stringify(DOCUMENT))

const CONTEXTS = Array.from({ length: 1024 }, (_, i) => ({
  targetingKey: `user-${i}`,
  email: i % 3 === 0 ? `u${i}@kanari.dev` : `u${i}@example.com`,
  age: 15 + (i % 10),
  country: ['NL', 'US', 'DE', 'JP'][i % 4] as string,
}))
const noLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}

/** Evaluations per second of `fn` over ~`ms` of wall time. */
function rate(fn: (i: number) => unknown, ms: number): number {
  let n = 0
  let sink = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(ms) * 1_000_000n
  let now = start
  while (now < end) {
    for (let i = 0; i < 2000; i++) if (fn(n + i) !== undefined) sink++
    n += 2000
    now = process.hrtime.bigint()
  }
  if (sink < 0) log('unreachable')
  return n / (Number(now - start) / 1e9)
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

function inProcess(): { scenario: string; kanari: number; flagdCore: number; ratio: number }[] {
  const now = Date.now()
  const scenarios = ['static', 'targeting', 'fractional'] as const
  // Both give the same answers before anything is timed.
  for (const s of scenarios)
    for (const ctx of CONTEXTS.slice(0, 200)) {
      const a = kanari.evaluate(s, ctx, now).value
      const b = flagd.resolveBooleanEvaluation(s, false, ctx, noLogger).value
      if (a !== b)
        throw new Error(
          `${s}: Kanari says ${JSON.stringify(a)}, flagd-core ${JSON.stringify(b)} for ${JSON.stringify(ctx)}`,
        )
    }
  const out = []
  for (const s of scenarios) {
    const k: number[] = []
    const f: number[] = []
    rate((i) => kanari.evaluate(s, CONTEXTS[i & 1023] as (typeof CONTEXTS)[number], now), 200)
    rate((i) => flagd.resolveBooleanEvaluation(s, false, CONTEXTS[i & 1023], noLogger), 200)
    for (let r = 0; r < ROUNDS; r++) {
      k.push(
        rate(
          (i) => kanari.evaluate(s, CONTEXTS[i & 1023] as (typeof CONTEXTS)[number], Date.now()),
          300,
        ),
      )
      f.push(
        rate((i) => flagd.resolveBooleanEvaluation(s, false, CONTEXTS[i & 1023], noLogger), 300),
      )
    }
    const row = {
      scenario: s,
      kanari: median(k),
      flagdCore: median(f),
      ratio: median(k) / median(f),
    }
    log(
      `${s.padEnd(11)} Kanari ${fmt(row.kanari)}/s   flagd-core ${fmt(row.flagdCore)}/s   ratio ${row.ratio.toFixed(2)}×`,
    )
    out.push(row)
  }
  return out
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`)

async function overHttp(): Promise<
  { endpoint: string; requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number }[]
> {
  const dir = mkdtempSync(join(tmpdir(), 'kanari-bench-flags-'))
  const kanariBin = join(ROOT, 'bin', 'kanari')
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  })
  if (build.status !== 0) throw new Error('build failed')
  const flagFile = join(dir, 'flags.json')
  writeFileSync(flagFile, JSON.stringify(DOCUMENT))
  const up = spawnSync(
    process.execPath,
    [kanariBin, 'flags', 'watch', '-f', flagFile, '--state-dir', join(dir, 'state')],
    { encoding: 'utf8' },
  )
  if (up.status !== 0) throw new Error(`starting the daemon failed: ${up.stderr}`)
  const info = JSON.parse(readFileSync(join(dir, 'state', 'api.json'), 'utf8')) as { url: string }
  const pool = new Pool(info.url, { connections: CONNECTIONS, pipelining: 1 })
  const results = []
  try {
    for (const [endpoint, path, flag] of [
      ['single (targeting rule)', '/ofrep/v1/evaluate/flags/targeting', 'targeting'],
      ['single (fractional)', '/ofrep/v1/evaluate/flags/fractional', 'fractional'],
      ['bulk (3 flags)', '/ofrep/v1/evaluate/flags', ''],
    ] as const) {
      const runs = []
      for (let r = 0; r < 3; r++) runs.push(await load(pool, path))
      const best = runs.sort(
        (a, b) => a.requestsPerSecond - b.requestsPerSecond,
      )[1] as (typeof runs)[number]
      results.push({ endpoint, ...best })
      log(
        `OFREP ${endpoint.padEnd(24)} ${fmt(best.requestsPerSecond)} req/s   p50 ${best.p50Ms.toFixed(2)} ms   p99 ${best.p99Ms.toFixed(2)} ms   errors ${best.errors}${flag === '' ? '' : ''}`,
      )
    }
  } finally {
    await pool.close()
    spawnSync(process.execPath, [kanariBin, 'down', '--state-dir', join(dir, 'state')])
    rmSync(dir, { recursive: true, force: true })
  }
  return results
}

/** CONNECTIONS workers, each sending one request after another for SECONDS; the median run of three is kept. */
async function load(
  pool: Pool,
  path: string,
): Promise<{ requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number }> {
  const latencies: number[] = []
  let errors = 0
  const end = Date.now() + SECONDS * 1000
  const worker = async (w: number) => {
    let i = w
    while (Date.now() < end) {
      const ctx = CONTEXTS[i++ & 1023]
      const t = process.hrtime.bigint()
      const res = await pool.request({
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ context: ctx }),
      })
      await res.body.dump()
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6)
      if (res.statusCode !== 200) errors++
    }
  }
  const started = Date.now()
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)))
  const seconds = (Date.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN
  return { requestsPerSecond: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), errors }
}

/** A flag file of `n` flags with targeting like real ones, plus the benchmark's; `edit` flips one flag. */
function bigFlagFile(n: number, edit: number): string {
  const flags: Record<string, unknown> = { ...DOCUMENT.flags }
  for (let i = 0; i < n; i++)
    flags[`flag-${i}`] = {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: i === edit % n && edit % 2 === 1 ? 'on' : 'off',
      targeting: {
        if: [
          { in: [{ var: 'country' }, ['NL', 'DE', `C${i}`]] },
          'on',
          {
            fractional: [
              ['on', 10],
              ['off', 90],
            ],
          },
        ],
      },
    }
  return JSON.stringify({ flags }, null, 2)
}

const RELOAD_FLAGS = arg('flags', 10_000)
const RELOAD_SECONDS = arg('reload-seconds', 10)
const RELOAD_RUNS = arg('reload-runs', 3)
/** Requests per second of the fixed-rate load. */
const RELOAD_RATE = arg('rate', 200)

interface ReloadRun {
  saves: number
  /** Changes the daemon announced on its event stream during the run. */
  reloads: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  errors: number
}

async function reloads(): Promise<{
  flags: number
  withSaves: ReloadRun
  withoutSaves: ReloadRun
  p99Ratio: number
}> {
  const dir = mkdtempSync(join(tmpdir(), 'kanari-bench-flag-reload-'))
  const kanariBin = join(ROOT, 'bin', 'kanari')
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  })
  if (build.status !== 0) throw new Error('build failed')
  const flagFile = join(dir, 'flags.json')
  writeFileSync(flagFile, bigFlagFile(RELOAD_FLAGS, 0))
  const stateDir = join(dir, 'state')
  const up = spawnSync(
    process.execPath,
    [kanariBin, 'flags', 'watch', '-f', flagFile, '--state-dir', stateDir],
    {
      encoding: 'utf8',
    },
  )
  if (up.status !== 0) throw new Error(`starting the daemon failed: ${up.stderr}`)
  const info = JSON.parse(readFileSync(join(stateDir, 'api.json'), 'utf8')) as { url: string }
  const pool = new Pool(info.url, { connections: 16, pipelining: 1 })
  const events = new Pool(info.url, { connections: 1 })
  let announced = 0
  const stream = await events.request({ path: '/api/v1/flag-events', method: 'GET' })
  stream.body.on('data', (chunk: Buffer) => {
    announced += chunk.toString().split('"type":"refetchEvaluation"').length - 1
  })
  // Made ahead and written asynchronously: the load generator's own work must not delay its requests.
  const texts = Array.from({ length: 2 * RELOAD_SECONDS + 2 }, (_, i) =>
    bigFlagFile(RELOAD_FLAGS, i + 1),
  )
  let edit = 0
  const run = async (saving: boolean): Promise<ReloadRun> => {
    const before = announced
    let saves = 0
    const saver = saving
      ? setInterval(() => {
          void writeFile(flagFile, texts[edit++ % texts.length] as string)
          saves++
        }, 1000)
      : undefined
    const r = await fixedRate(pool, '/ofrep/v1/evaluate/flags/targeting', RELOAD_SECONDS)
    if (saver !== undefined) clearInterval(saver)
    // The last save is served before the next run starts.
    const until = Date.now() + 60_000
    while (saving && announced - before < 1 && Date.now() < until)
      await new Promise((res) => setTimeout(res, 100))
    return { saves, reloads: announced - before, ...r }
  }
  try {
    const withSaves: ReloadRun[] = []
    const withoutSaves: ReloadRun[] = []
    await fixedRate(pool, '/ofrep/v1/evaluate/flags/targeting', 1)
    for (let i = 0; i < RELOAD_RUNS; i++) {
      withoutSaves.push(await run(false))
      withSaves.push(await run(true))
      const w = withSaves.at(-1) as ReloadRun
      const o = withoutSaves.at(-1) as ReloadRun
      log(
        `  run ${i + 1}: with saves p50 ${w.p50Ms.toFixed(2)} ms  p99 ${w.p99Ms.toFixed(2)} ms  max ${w.maxMs.toFixed(0)} ms  (${w.saves} saves, ${w.reloads} reloads announced, ${w.errors} errors)   without: p99 ${o.p99Ms.toFixed(2)} ms  max ${o.maxMs.toFixed(0)} ms`,
      )
    }
    const med = (runs: ReloadRun[]): ReloadRun => ({
      saves: median(runs.map((r) => r.saves)),
      reloads: median(runs.map((r) => r.reloads)),
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      maxMs: median(runs.map((r) => r.maxMs)),
      errors: runs.reduce((n, r) => n + r.errors, 0),
    })
    const w = med(withSaves)
    const o = med(withoutSaves)
    log(
      `OFREP p99 with a ${RELOAD_FLAGS}-flag file saved every second: ${w.p99Ms.toFixed(2)} ms (without saves ${o.p99Ms.toFixed(2)} ms, ratio ${(w.p99Ms / o.p99Ms).toFixed(2)}×; median of ${RELOAD_RUNS} runs)`,
    )
    return { flags: RELOAD_FLAGS, withSaves: w, withoutSaves: o, p99Ratio: w.p99Ms / o.p99Ms }
  } finally {
    stream.body.destroy()
    await events.close().catch(() => undefined)
    await pool.close()
    spawnSync(process.execPath, [kanariBin, 'down', '--state-dir', stateDir])
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * RELOAD_RATE requests a second for `seconds`, each sent when due whether or not earlier ones have
 * answered; a latency counts from when the request was due.
 */
async function fixedRate(
  pool: Pool,
  path: string,
  seconds: number,
): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; errors: number }> {
  const latencies: number[] = []
  let errors = 0
  const interval = 1000 / RELOAD_RATE
  const total = Math.round(seconds * RELOAD_RATE)
  const start = performance.now()
  const inFlight: Promise<void>[] = []
  for (let i = 0; i < total; i++) {
    const due = start + i * interval
    const wait = due - performance.now()
    if (wait > 1) await new Promise((res) => setTimeout(res, wait))
    const ctx = CONTEXTS[i & 1023]
    inFlight.push(
      pool
        .request({
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ context: ctx }),
        })
        .then(async (res) => {
          await res.body.dump()
          if (res.statusCode !== 200) errors++
        })
        .catch(() => {
          errors++
        })
        .finally(() => latencies.push(performance.now() - due)),
    )
  }
  await Promise.all(inFlight)
  latencies.sort((a, b) => a - b)
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: latencies.at(-1) ?? Number.NaN, errors }
}

async function main(): Promise<void> {
  if (process.argv.includes('--in-process-only')) return void inProcess()
  if (process.argv.includes('--reload-only')) {
    log(`reloads (${RELOAD_RATE} OFREP requests/s at a fixed rate, ${RELOAD_SECONDS} s per run):`)
    const r = await reloads()
    if (json) process.stdout.write(JSON.stringify({ reloads: r }, null, 2) + '\n')
    return
  }
  log(`in-process evaluations per second (median of ${ROUNDS} rounds of 300 ms, 1024 contexts):`)
  const evaluations = inProcess()
  log(
    `\nOFREP through the daemon (${CONNECTIONS} keep-alive connections, ${SECONDS} s, median of 3 runs):`,
  )
  const ofrep = await overHttp()
  log(`\nreloads (${RELOAD_RATE} OFREP requests/s at a fixed rate, ${RELOAD_SECONDS} s per run):`)
  const reload = await reloads()
  if (json)
    process.stdout.write(JSON.stringify({ evaluations, ofrep, reloads: reload }, null, 2) + '\n')
}

void main()
