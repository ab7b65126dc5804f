/**
 * Spec loading benchmark: how lint/apply's parsing scales with the size of a manifest. Loads a
 * Rollout with N unknown keys in one mapping (each reported with its line) for doubling N and prints
 * the median time of several runs and the ratio to the half-size run: about 2 when loading is linear,
 * 4 when it is quadratic. Run: `npm run bench:spec [-- --runs 7 --output json]`.
 */
import { checkRolloutSet } from '../src/manifests/rollout-set.js'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN
  return Number.isFinite(v) && v > 0 ? v : fallback
}
const runs = arg('runs', 7)
const json =
  process.argv.includes('--output') && process.argv[process.argv.indexOf('--output') + 1] === 'json'

function manifest(keys: number): string {
  const extra = Array.from({ length: keys }, (_, i) => `  k${i}: ${i}`).join('\n')
  return `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata:
  name: a
${extra}
spec:
  replicas: 1
  workload: { process: { command: [node, app.js] } }
  service: { port: 8080 }
  strategy: { canary: { steps: [{ setWeight: 50 }] } }
`
}

function loadOnce(text: string): number {
  const started = process.hrtime.bigint()
  const problems = checkRolloutSet([{ name: 'bench.yaml', text }]).problems.length
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (problems === 0) throw new Error('expected the unknown keys to be reported')
  return ms
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

const rows: { keys: number; medianMs: number; ratioToHalf: number | null }[] = []
for (const keys of [2_500, 5_000, 10_000, 20_000, 40_000]) {
  const text = manifest(keys)
  loadOnce(text) // warm-up
  const times = Array.from({ length: runs }, () => loadOnce(text))
  const previous = rows.at(-1)
  const medianMs = median(times)
  rows.push({
    keys,
    medianMs: Math.round(medianMs * 10) / 10,
    ratioToHalf:
      previous === undefined ? null : Math.round((medianMs / previous.medianMs) * 100) / 100,
  })
}
if (json) console.log(JSON.stringify({ runs, rows }, null, 2))
else {
  console.log(
    `Loading a Rollout with N unknown keys (median of ${runs} runs; ratio ≈ 2 is linear)\n`,
  )
  console.log('keys     median     × half-size')
  for (const r of rows)
    console.log(
      `${String(r.keys).padEnd(8)} ${`${r.medianMs} ms`.padEnd(10)} ${r.ratioToHalf ?? '—'}`,
    )
}
