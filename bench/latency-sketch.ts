/**
 * Latency sketch benchmark: what the proxy's per-second ring pays for exact-enough quantiles. Prints
 * the heap and JSON bytes of one second's sketch at a few request rates, the cost of recording one
 * request with and without the sketch (ratio in the same run), and the cost of merging a 15-minute
 * window of per-second sketches. Medians of several runs.
 * Run: `npx tsx bench/latency-sketch.ts [--runs 7] [--output json]`.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { sketchBins } from '../src/analysis/latency-sketch.js'
import {
  addVersionTraffic,
  emptyVersionTraffic,
  latencyQuantile,
  recordRequest,
  type VersionTraffic,
} from '../src/analysis/traffic.js'
import { mulberry32 } from '../src/analysis/random.js'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN
  return Number.isFinite(v) && v > 0 ? v : fallback
}
const runs = arg('runs', 7)
const json =
  process.argv.includes('--output') && process.argv[process.argv.indexOf('--output') + 1] === 'json'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const random = mulberry32(19)
/** Log-normal latencies around a 50 ms median (sigma 0.5: wider than the simulator's). */
function latency(): number {
  const u = 1 - random()
  const v = random()
  return 50 * Math.exp(0.5 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v))
}

function second(rps: number, sketch: boolean): VersionTraffic {
  const t = emptyVersionTraffic()
  if (!sketch) delete t.latencySketch
  for (let i = 0; i < rps; i++) recordRequest(t, 200, latency())
  return t
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

/** Heap bytes of one second's traffic, from many kept alive at once. */
function heapPerSecond(rps: number, sketch: boolean): number {
  const n = 2000
  gc()
  const before = process.memoryUsage().heapUsed
  const kept = Array.from({ length: n }, () => second(rps, sketch))
  gc()
  const bytes = (process.memoryUsage().heapUsed - before) / n
  if (kept.length !== n) throw new Error('unreachable')
  return bytes
}

const sizes = [10, 100, 1000].map((rps) => {
  const withSketch = median(Array.from({ length: 3 }, () => heapPerSecond(rps, true)))
  const without = median(Array.from({ length: 3 }, () => heapPerSecond(rps, false)))
  const sample = second(rps, true)
  return {
    rps,
    bins: sample.latencySketch === undefined ? 0 : sketchBins(sample.latencySketch),
    sketchHeapBytes: Math.round(withSketch - without),
    sketchJsonBytes: JSON.stringify(sample.latencySketch).length,
    secondHeapBytesWithout: Math.round(without),
  }
})

function recordCost(sketch: boolean): number {
  const n = 1_000_000
  const values = Array.from({ length: 4096 }, latency)
  const t = emptyVersionTraffic()
  if (!sketch) delete t.latencySketch
  const started = process.hrtime.bigint()
  for (let i = 0; i < n; i++) recordRequest(t, 200, values[i & 4095] as number)
  return Number(process.hrtime.bigint() - started) / n
}
const recordWith: number[] = []
const recordWithout: number[] = []
for (let r = 0; r < runs; r++) {
  recordWithout.push(recordCost(false))
  recordWith.push(recordCost(true))
}

/** A 15-minute window at 100 rps: what the builtin provider merges at most per side. */
const ring = Array.from({ length: 900 }, () => second(100, true))
const mergeMs: number[] = []
let p99 = 0
for (let r = 0; r < runs; r++) {
  const started = process.hrtime.bigint()
  const out = emptyVersionTraffic()
  for (const s of ring) addVersionTraffic(out, s)
  p99 = latencyQuantile(out, 0.99)
  mergeMs.push(Number(process.hrtime.bigint() - started) / 1e6)
}

const result = {
  runs,
  perSecondSketch: sizes,
  recordNs: {
    bucketsOnly: median(recordWithout),
    withSketch: median(recordWith),
    ratio: median(recordWith) / median(recordWithout),
  },
  merge900SecondsAt100RpsMs: median(mergeMs),
  p99OfThatWindowMs: p99,
}

if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
else {
  for (const s of sizes)
    process.stdout.write(
      `${String(s.rps).padStart(5)} req/s: ${s.bins} bins, sketch ${s.sketchHeapBytes} B heap / ${s.sketchJsonBytes} B JSON (the rest of the second: ${s.secondHeapBytesWithout} B)\n`,
    )
  process.stdout.write(
    `record one request: ${result.recordNs.bucketsOnly.toFixed(1)} ns buckets only, ${result.recordNs.withSketch.toFixed(1)} ns with the sketch (×${result.recordNs.ratio.toFixed(2)})\n` +
      `merge a 15-minute window (900 s at 100 req/s): ${result.merge900SecondsAt100RpsMs.toFixed(1)} ms\n`,
  )
}
