/**
 * Diagnosis benchmark, two parts.
 * 1. End to end, against a real daemon running the demo's rollout under load: v2 (healthy) is
 *    promoted and v3 (15% of requests throw) rolled back, as in `npm run demo`; then, round-robin,
 *    from spawn to exit: `node -e 0` (the baseline), `kanari get rollout demo`, `kanari diagnose demo
 *    --revision 3` (the report stored at the rollback, text and JSON) and `kanari diagnose demo
 *    --revision 2` (a report built on demand from logs and the proxy). It checks that v3's report
 *    ranks the injected error's stack trace first.
 * 2. The pure report build on synthetic logs of growing size, next to only splitting the same lines
 *    into records (the baseline), to show what the clustering costs.
 * Medians of several runs, with their ratio to the baseline measured in the same run.
 * Run: `npm run bench:diagnose [-- --runs 9 --output json]`
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildReport } from '../src/diagnosis/build-report.js'
import { toRecords } from '../src/diagnosis/log-records.js'
import type { DiagnosisReport } from '../src/diagnosis/report.js'
import { demoRollout } from '../src/demo/demo-spec.js'
import { freePort } from '../src/local/free-port.js'
import { runLoad } from '../src/local/load/index.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const KANARI = join(ROOT, 'bin', 'kanari')

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN
  return Number.isFinite(v) ? v : fallback
}
const json =
  process.argv.includes('--output') && process.argv[process.argv.indexOf('--output') + 1] === 'json'
const RUNS = arg('runs', 9)
const log = (s: string): void => {
  if (!json) process.stderr.write(`${s}\n`)
}
const stateDir = mkdtempSync(join(tmpdir(), 'kanari-bench-diagnose-'))

function kanari(args: string[], input?: string): string {
  const res = spawnSync(process.execPath, [KANARI, ...args, '--state-dir', stateDir], {
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  })
  if (res.status !== 0)
    throw new Error(`kanari ${args.join(' ')} exited ${res.status}: ${res.stderr}`)
  return res.stdout
}

interface Status {
  phase: string
  stableRevision: number | null
  lastOutcome: { revision: number; result: string } | null
}
const status = (): Status =>
  (JSON.parse(kanari(['get', 'rollout', 'demo', '-o', 'json'])) as { status: Status }).status

async function until(what: string, ok: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

function timeMs(args: string[]): number {
  const started = process.hrtime.bigint()
  const res = spawnSync(process.execPath, args, { stdio: 'ignore' })
  if (res.status !== 0) throw new Error(`${args.join(' ')} exited ${res.status}`)
  return Number(process.hrtime.bigint() - started) / 1e6
}

interface Row {
  name: string
  medianMs: number
  minMs: number
  ratio: number
}

function rows(times: Map<string, number[]>, baseline: string): Row[] {
  const base = median(times.get(baseline) ?? [])
  return [...times].map(([name, xs]) => ({
    name,
    medianMs: Math.round(median(xs) * 10) / 10,
    minMs: Math.round(Math.min(...xs) * 10) / 10,
    ratio: Math.round((median(xs) / base) * 10) / 10,
  }))
}

async function endToEnd(): Promise<{ rows: Row[]; first: string; requests: number }> {
  log('building dist/ (the compiled CLI is what is measured)…')
  if (
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' })
      .status !== 0
  )
    throw new Error('the build failed')
  const port = await freePort()
  const apply = (color: string, version: string, env: Record<string, string>): void => {
    const doc = demoRollout({ port, color, version, env }) as {
      spec: { analysis: { metrics: unknown[] } }
    }
    // Judged on errors only: on a busy machine the demo's latency bound can roll a healthy v2 back,
    // and what is measured here is the diagnosis, not the judge.
    doc.spec.analysis.metrics = [{ name: 'error-rate', thresholdRange: { max: 2 } }]
    kanari(['apply', '-f', '-'], JSON.stringify(doc))
  }
  log(
    `starting a daemon in ${stateDir}; the demo's v1, then v2 (healthy) and v3 (15% errors) under load…`,
  )
  apply('blue', 'v1', {})
  await until('v1 healthy', () => status().phase === 'Healthy')
  const stop = new AbortController()
  const load = runLoad({
    url: `http://127.0.0.1:${port}/color`,
    rps: 120,
    durationMs: 300_000,
    concurrencyCap: 200,
    signal: stop.signal,
  })
  try {
    await new Promise((r) => setTimeout(r, 3000))
    apply('green', 'v2', {})
    await until('v2 decided', () => status().lastOutcome?.revision === 2, 300_000)
    if (status().stableRevision !== 2) throw new Error('v2 was not promoted')
    apply('red', 'v3', { ERROR_RATE: '15' })
    await until('v3 decided', () => status().lastOutcome?.revision === 3, 180_000)
  } finally {
    stop.abort()
    await load.catch(() => undefined)
  }
  if (status().lastOutcome?.result !== 'RolledBack') throw new Error('v3 was not rolled back')
  await until(
    'v3 diagnosed',
    () =>
      (
        JSON.parse(kanari(['diagnose', 'demo', '--revision', '3', '-o', 'json'])) as {
          stored: boolean
        }
      ).stored,
  )
  const report = (
    JSON.parse(kanari(['diagnose', 'demo', '--revision', '3', '-o', 'json'])) as {
      report: DiagnosisReport
    }
  ).report
  const first = report.logs.templates[0]
  if (first?.newInCanary !== true || !first.template.includes('TypeError'))
    throw new Error(`v3's first template is not the injected error: ${JSON.stringify(first)}`)

  const cases: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['kanari get rollout demo', [KANARI, 'get', 'rollout', 'demo', '--state-dir', stateDir]],
    [
      'kanari diagnose demo --revision 3 (stored)',
      [KANARI, 'diagnose', 'demo', '--revision', '3', '--state-dir', stateDir],
    ],
    [
      '… -o json',
      [KANARI, 'diagnose', 'demo', '--revision', '3', '-o', 'json', '--state-dir', stateDir],
    ],
    [
      'kanari diagnose demo --revision 2 (built now)',
      [KANARI, 'diagnose', 'demo', '--revision', '2', '--state-dir', stateDir],
    ],
  ]
  const times = new Map(cases.map(([n]) => [n, [] as number[]]))
  for (let run = 0; run < RUNS; run++) {
    for (const [name, args] of cases) times.get(name)?.push(timeMs(args))
    log(`run ${run + 1}/${RUNS}`)
  }
  return {
    rows: rows(times, 'node -e 0'),
    first: first.template.split('\n')[0] ?? '',
    requests: report.requests.canaryRequests + report.requests.stableRequests,
  }
}

/** Synthetic logs: access lines on both sides, the canary failing 15% with a stack trace. */
function synthetic(lines: number): { canary: string[]; stable: string[] } {
  let seed = 42
  const random = (): number => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32
  const canary: string[] = []
  const stable: string[] = []
  const t0 = Date.parse('2026-03-01T10:00:00Z')
  for (let i = 0; i < lines; i++) {
    const at = new Date(t0 + i * 5).toISOString()
    const toCanary = random() < 0.05
    const side = toCanary ? canary : stable
    const fails = toCanary && random() < 0.15
    side.push(
      `${at} GET /color ${fails ? 500 : 200} ${Math.floor(random() * 30)}ms color=${toCanary ? 'red' : 'blue'}`,
    )
    if (fails)
      side.push(
        `${at} ERROR GET /color failed: TypeError: Cannot read properties of undefined (reading 'hex')`,
        '    at paint (file:///srv/demo-app/server.js:70:49)',
        '    at Timeout._onTimeout (file:///srv/demo-app/server.js:115:23)',
      )
    if (i % 50 === 0) side.push(`${at} GET /healthz 200 0ms color=${toCanary ? 'red' : 'blue'}`)
  }
  return { canary, stable }
}

function pure(): Row[] {
  const times = new Map<string, number[]>()
  const sizes = [10_000, 50_000, 100_000]
  for (const size of sizes) {
    const { canary, stable } = synthetic(size)
    const split = `split ${size} lines into records`
    const build = `build the report of ${size} lines`
    times.set(split, [])
    times.set(build, [])
    for (let run = 0; run < RUNS; run++) {
      let t = performance.now()
      const c = toRecords(canary)
      const s = toRecords(stable)
      times.get(split)?.push(performance.now() - t)
      t = performance.now()
      const report = buildReport({
        rollout: 'bench',
        revision: 3,
        stableRevision: 2,
        trigger: 'on-demand',
        now: 0,
        window: { from: 0, to: 1 },
        outcome: null,
        runs: [],
        verdictEvents: [],
        requests: { canary: [], stable: [] },
        logs: {
          canary: c,
          stable: s,
          stableBefore: [],
          windowed: true,
          canaryReplicas: 3,
          stableReplicas: 3,
        },
        workloads: {
          from: { revision: 2, workload: { env: { COLOR: 'blue' } } },
          to: { revision: 3, workload: { env: { COLOR: 'red', ERROR_RATE: '15' } } },
        },
        secretEnv: [],
      })
      times.get(build)?.push(performance.now() - t)
      if (!(report.logs.templates[0]?.template.includes('TypeError') ?? false))
        throw new Error('the synthetic report does not rank the TypeError first')
    }
  }
  // Each size's build against splitting the same lines.
  return sizes.flatMap((size) => {
    const sub = new Map([
      [`split ${size} lines into records`, times.get(`split ${size} lines into records`) ?? []],
      [`build the report of ${size} lines`, times.get(`build the report of ${size} lines`) ?? []],
    ])
    return rows(sub, `split ${size} lines into records`)
  })
}

async function main(): Promise<void> {
  const e2e = await endToEnd()
  log('the pure report build on synthetic logs…')
  const build = pure()
  if (json) {
    process.stdout.write(JSON.stringify({ runs: RUNS, endToEnd: e2e, build }, null, 2) + '\n')
    return
  }
  const print = (title: string, rs: Row[], vs: string): void => {
    const width = Math.max(...rs.map((r) => r.name.length))
    process.stdout.write(`${title}\n${'command'.padEnd(width)}  median      min  vs ${vs}\n`)
    for (const r of rs)
      process.stdout.write(
        `${r.name.padEnd(width)}  ${`${r.medianMs} ms`.padStart(8)}  ${`${r.minMs} ms`.padStart(8)}  ${r.ratio.toFixed(1)}×\n`,
      )
  }
  print(
    `From spawn to exit, ${RUNS} runs each, round-robin; v3's report ranks first: ${e2e.first} (${e2e.requests} requests in its window)`,
    e2e.rows,
    'node -e 0',
  )
  process.stdout.write('\n')
  print(`Report build in-process, ${RUNS} runs each`, build, 'splitting the same lines')
}

try {
  await main()
} finally {
  spawnSync(process.execPath, [KANARI, 'down', '--state-dir', stateDir], { stdio: 'ignore' })
  rmSync(stateDir, { recursive: true, force: true })
}
