/**
 * CLI start-up benchmark: how long `kanari --version`, `list`, `get rollout` and `promote` take from
 * spawn to exit, against a real daemon (started in a temporary directory, with examples/canary.yaml
 * applied at 1 replica on a free port), next to `node -e 0` measured in the same run. Commands run
 * round-robin, so a busy moment on a shared machine weighs on all of them alike; medians are
 * reported with their ratio to `node -e 0`. The compiled CLI (dist/) is what runs: it is built first.
 * Run: `npm run bench:cli [-- --runs 15 --output json]`
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const KANARI = join(ROOT, 'bin', 'kanari')
const EXAMPLES = join(ROOT, 'examples')
const ROLLOUT = 'checkout'

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN
  return Number.isFinite(v) ? v : fallback
}
const json =
  process.argv.includes('--output') && process.argv[process.argv.indexOf('--output') + 1] === 'json'
const RUNS = arg('runs', 15)
const log = (s: string): void => {
  if (!json) process.stderr.write(`${s}\n`)
}

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-bench-cli-'))

/** Runs kanari against the bench's daemon; throws with its stderr when `ok` says it failed. */
function kanari(args: string[], input?: string, ok = (code: number) => code === 0): string {
  const res = spawnSync(process.execPath, [KANARI, ...args, '--state-dir', stateDir], {
    cwd: EXAMPLES,
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  })
  if (!ok(res.status ?? -1))
    throw new Error(`kanari ${args.join(' ')} exited ${res.status}: ${res.stderr}`)
  return res.stdout
}

function phase(): { phase: string; canaryRevision: number | null } {
  return (
    JSON.parse(kanari(['get', 'rollout', ROLLOUT, '-o', 'json'])) as {
      status: { phase: string; canaryRevision: number | null }
    }
  ).status
}

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

let colors = 0
/** Something for `promote` to promote: a new revision in flight (set env), started untimed. */
async function canaryInFlight(): Promise<void> {
  if (phase().canaryRevision !== null && phase().phase !== 'RolledBack') return
  kanari(['set', 'env', ROLLOUT, `COLOR=bench-${++colors}`])
  await until('a canary in flight', () => {
    const s = phase()
    return s.canaryRevision !== null && s.phase !== 'Initializing'
  })
}

/** Milliseconds from spawn to exit, or undefined if the command failed. */
function timeMs(command: string[], args: string[]): number | undefined {
  const started = process.hrtime.bigint()
  const res = spawnSync(command[0] ?? process.execPath, [...command.slice(1), ...args], {
    cwd: EXAMPLES,
    stdio: 'ignore',
  })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  return res.status === 0 ? ms : undefined
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

const CASES: { name: string; args: string[]; before?: () => Promise<void> }[] = [
  { name: 'node -e 0', args: [] },
  { name: 'kanari --version', args: ['--version'] },
  { name: 'kanari list', args: ['list', '--state-dir', stateDir] },
  {
    name: `kanari get rollout ${ROLLOUT}`,
    args: ['get', 'rollout', ROLLOUT, '--state-dir', stateDir],
  },
  {
    name: `kanari promote ${ROLLOUT}`,
    args: ['promote', ROLLOUT, '--state-dir', stateDir],
    before: canaryInFlight,
  },
]

async function main(): Promise<void> {
  log('building dist/ (the compiled CLI is what is measured)…')
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  })
  if (build.status !== 0) throw new Error('the build failed')

  // examples/canary.yaml at 1 replica on a free port; its relative paths start from examples/.
  const manifest = readFileSync(join(EXAMPLES, 'canary.yaml'), 'utf8')
    .replace(/^( {2}replicas:) \d+/m, '$1 1')
    .replace(/^( {4}port:) \d+/m, '$1 0')
  log(`starting a daemon in ${stateDir} and applying examples/canary.yaml…`)
  kanari(['apply', '-f', '-'], manifest)
  await until('the first revision to be Healthy', () => phase().phase === 'Healthy')

  const times = new Map(CASES.map((c) => [c.name, [] as number[]]))
  for (let run = 0; run < RUNS; run++) {
    for (const c of CASES) {
      const command =
        c.name === 'node -e 0' ? [process.execPath, '-e', '0'] : [process.execPath, KANARI]
      // A canary can end (promoted, rolled back) between the check and the command: try again.
      let ms: number | undefined
      for (let attempt = 0; attempt < 3 && ms === undefined; attempt++) {
        await c.before?.()
        ms = timeMs(command, c.args)
      }
      if (ms === undefined) throw new Error(`${c.name} failed three times`)
      times.get(c.name)?.push(ms)
    }
    log(`run ${run + 1}/${RUNS}`)
  }

  const base = median(times.get('node -e 0') ?? [])
  const rows = CASES.map((c) => {
    const xs = times.get(c.name) ?? []
    return {
      command: c.name,
      medianMs: Math.round(median(xs)),
      minMs: Math.round(Math.min(...xs)),
      ratio: Math.round((median(xs) / base) * 10) / 10,
    }
  })
  if (json) {
    process.stdout.write(JSON.stringify({ runs: RUNS, results: rows }, null, 2) + '\n')
    return
  }
  const width = Math.max(...rows.map((r) => r.command.length))
  process.stdout.write(
    `CLI start to exit, ${RUNS} runs each, round-robin (a daemon with ${ROLLOUT} from examples/canary.yaml)\n`,
  )
  process.stdout.write(`${'command'.padEnd(width)}  median     min  vs node -e 0\n`)
  for (const r of rows)
    process.stdout.write(
      `${r.command.padEnd(width)}  ${`${r.medianMs} ms`.padStart(6)}  ${`${r.minMs} ms`.padStart(6)}  ${r.ratio.toFixed(1)}×\n`,
    )
}

try {
  await main()
} finally {
  spawnSync(process.execPath, [KANARI, 'down', '--state-dir', stateDir], { stdio: 'ignore' })
  rmSync(stateDir, { recursive: true, force: true })
}
