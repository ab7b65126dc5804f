/**
 * Detection benchmark: the same bad-canary scenarios through all three judges, in virtual time, and
 * the sequential judge fed from Prometheus counters instead of the proxy's (a Prometheus scraping
 * every 1 s and every 15 s: it only sees counts up to its last scrape). Prints, per judge and
 * scenario, the median time to the decision, the median requests that failed because they hit the
 * canary, how often the bad canary was caught, and the false-rollback rate of a healthy canary over
 * many seeds. Run: `npm run bench:detection [-- --seeds 200 --runs 21 --output json]`.
 */
import type { AnalysisPlan, JudgeName, MetricPlan } from '../src/analysis/types.js'
import type { RolloutPlan } from '../src/engine/plan.js'
import { simulate, type SimulationOptions } from '../src/simulate/simulate.js'

interface Scenario {
  name: string
  canary: { errorRatePercent: number; latencyMs: number }
}

const STABLE = { errorRatePercent: 0.5, latencyMs: 50 }
const SCENARIOS: Scenario[] = [
  { name: '15% errors', canary: { errorRatePercent: 15, latencyMs: 50 } },
  { name: '+300 ms latency', canary: { errorRatePercent: 0.5, latencyMs: 350 } },
  { name: '1% vs 0.5% errors', canary: { errorRatePercent: 1, latencyMs: 50 } },
]

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN
  return Number.isFinite(v) ? v : fallback
}
const healthySeeds = arg('seeds', 200)
const badRuns = arg('runs', 21)
const json =
  process.argv.includes('--output') && process.argv[process.argv.indexOf('--output') + 1] === 'json'

/** The Prometheus-fed variants: the sequential judge on per-version counters, scraped this often. */
const SCRAPE_INTERVALS = [1, 15] as const

function metric(
  name: 'success-rate' | 'error-rate' | 'latency-p99',
  range: { min?: number; max?: number },
  fromPrometheus = false,
): MetricPlan {
  return {
    name,
    provider: fromPrometheus
      ? {
          kind: 'prometheus',
          address: 'http://127.0.0.1:9090',
          headers: {},
          traffic: {
            metric: name,
            querySet: 'kanari',
            selectors: { canary: 'revision="2"', stable: 'revision="1"' },
            requests: 'sum(kanari_proxy_requests_total{ {{ selector }} })',
            errors: 'sum(kanari_proxy_requests_total{ {{ selector }}, code_class=~"5xx|failed" })',
            latencyBuckets:
              'sum by (le) (kanari_proxy_request_duration_seconds_bucket{ {{ selector }} })',
            latencyUnit: 'seconds',
          },
        }
      : { kind: 'builtin', metric: name },
    intervalSeconds: 60,
    count: 1,
    initialDelaySeconds: 0,
    thresholdRange: range,
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
    errorGraceSeconds: 60,
  }
}

/**
 * The seed's plan, 5% → 25% → 50% → 100% with an analysis at each step, judged three ways:
 * threshold with Flagger's documented defaults (interval 1m, threshold 5, request-success-rate
 * min 99%, request-duration max 500 ms), limit with Argo's (failureLimit 0, one 1m measurement a
 * step), and sequential (alpha 0.05 for the whole rollout, runs of 1m a step).
 */
function plan(judge: JudgeName, fromPrometheus = false): RolloutPlan {
  const metrics =
    judge === 'sequential'
      ? [
          metric('error-rate', { max: 1 }, fromPrometheus),
          metric('latency-p99', { max: 500 }, fromPrometheus),
        ]
      : [metric('success-rate', { min: 99 }), metric('latency-p99', { max: 500 })]
  const runs = 3
  const analysis: AnalysisPlan = {
    kind: 'step',
    judge,
    metrics,
    threshold: 5,
    alpha: 0.05 / runs,
    minCanaryRequests: 50,
  }
  return {
    name: `bench-${judge}`,
    revision: 2,
    replicas: 3,
    strategy: {
      kind: 'canary',
      steps: [5, 25, 50].flatMap((weight) => [
        { kind: 'setWeight' as const, weight },
        { kind: 'analysis' as const, analysis },
      ]),
      abortScaleDownDelaySeconds: 0,
      scaleDownDelaySeconds: 0,
    },
    judge,
    webhooks: [],
    webhookIntervalSeconds: 10,
    failedChecksThreshold: 5,
    namespace: 'default',
    checksum: `bench-${judge}`,
    notifications: [],
    progressDeadlineSeconds: 3600,
    progressDeadlineAbort: true,
    paused: false,
    routerCapabilities: { headerRoutes: true, mirror: true, weights: true },
  }
}

function options(
  seed: number,
  canary: Scenario['canary'],
  scrapeIntervalSeconds?: number,
): SimulationOptions {
  return {
    ...(scrapeIntervalSeconds === undefined ? {} : { scrapeIntervalSeconds }),
    rps: 100,
    stable: STABLE,
    canary,
    seed,
    promoteAfterSeconds: 60,
    readySeconds: 2,
    maxSeconds: 7200,
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/** One way of judging: a judge, and where its traffic metrics come from. */
interface Variant {
  name: string
  judge: JudgeName
  scrapeIntervalSeconds?: number
}
const VARIANTS: Variant[] = [
  { name: 'threshold', judge: 'threshold' },
  { name: 'limit', judge: 'limit' },
  { name: 'sequential', judge: 'sequential' },
  ...SCRAPE_INTERVALS.map((s) => ({
    name: `sequential, Prometheus ${s}s scrape`,
    judge: 'sequential' as const,
    scrapeIntervalSeconds: s,
  })),
]

interface Row {
  judge: string
  scenario: string
  runs: number
  caught: number
  medianDecisionSeconds: number
  medianFailedRequests: number
  medianCanaryRequests: number
}

const started = Date.now()
const rows: Row[] = []
const falseRollback: {
  judge: string
  seeds: number
  rolledBack: number
  rate: number
  statedAlpha: number | null
}[] = []
for (const variant of VARIANTS) {
  const judge = variant.name
  const scrape = variant.scrapeIntervalSeconds
  const p = plan(variant.judge, scrape !== undefined)
  for (const scenario of SCENARIOS) {
    const results = []
    for (let i = 0; i < badRuns; i++)
      results.push(await simulate(p, options(1000 + i, scenario.canary, scrape)))
    const caught = results.filter((r) => r.outcome === 'RolledBack')
    rows.push({
      judge,
      scenario: scenario.name,
      runs: results.length,
      caught: caught.length,
      medianDecisionSeconds: median(caught.map((r) => r.decisionSeconds)),
      medianFailedRequests: median(caught.map((r) => r.failedRequests)),
      medianCanaryRequests: median(caught.map((r) => r.canaryRequests)),
    })
    if (!json)
      process.stderr.write(
        `  ${judge} / ${scenario.name}: ${caught.length}/${results.length} caught\n`,
      )
  }
  let rolledBack = 0
  for (let seed = 1; seed <= healthySeeds; seed++) {
    if ((await simulate(p, options(seed, STABLE, scrape))).outcome === 'RolledBack') rolledBack++
  }
  falseRollback.push({
    judge,
    seeds: healthySeeds,
    rolledBack,
    rate: rolledBack / healthySeeds,
    statedAlpha: variant.judge === 'sequential' ? 0.05 : null,
  })
  if (!json)
    process.stderr.write(`  ${judge} / healthy: ${rolledBack}/${healthySeeds} rolled back\n`)
}

if (json) {
  process.stdout.write(
    JSON.stringify(
      {
        rps: 100,
        stable: STABLE,
        badRuns,
        healthySeeds,
        scenarios: rows,
        falseRollback,
        wallSeconds: (Date.now() - started) / 1000,
      },
      null,
      2,
    ) + '\n',
  )
} else {
  const pad = (s: string, n: number): string => s.padEnd(n)
  console.log(
    `\nDetection at 100 rps, stable ${STABLE.errorRatePercent}% errors / ${STABLE.latencyMs} ms; plan 5% → 25% → 50% → 100%, analysis each step`,
  )
  console.log(
    `medians over the runs that caught the bad canary (${badRuns} seeded runs per cell)\n`,
  )
  console.log(
    `${pad('judge', 34)}${pad('scenario', 20)}${pad('caught', 9)}${pad('decision', 11)}${pad('failed req', 12)}canary req`,
  )
  for (const r of rows) {
    console.log(
      `${pad(r.judge, 34)}${pad(r.scenario, 20)}${pad(`${r.caught}/${r.runs}`, 9)}${pad(Number.isNaN(r.medianDecisionSeconds) ? '—' : `${r.medianDecisionSeconds}s`, 11)}${pad(Number.isNaN(r.medianFailedRequests) ? '—' : String(r.medianFailedRequests), 12)}${Number.isNaN(r.medianCanaryRequests) ? '—' : r.medianCanaryRequests}`,
    )
  }
  console.log(`\nfalse rollbacks of a healthy canary (${healthySeeds} seeds)`)
  for (const f of falseRollback) {
    console.log(
      `${pad(f.judge, 34)}${f.rolledBack}/${f.seeds} = ${(100 * f.rate).toFixed(1)}%${f.statedAlpha === null ? '' : ` (stated alpha ${f.statedAlpha * 100}%)`}`,
    )
  }
  const thr = rows.find((r) => r.judge === 'threshold' && r.scenario === '15% errors')
  const seq = rows.find((r) => r.judge === 'sequential' && r.scenario === '15% errors')
  if (thr && seq)
    console.log(
      `\n15% errors: sequential needed ${seq.medianFailedRequests} failed requests vs threshold ${thr.medianFailedRequests} (${(thr.medianFailedRequests / Math.max(1, seq.medianFailedRequests)).toFixed(1)}× fewer)`,
    )
  for (const s of SCRAPE_INTERVALS) {
    const deltas = SCENARIOS.map((sc) => {
      const fromProxy = rows.find((r) => r.judge === 'sequential' && r.scenario === sc.name)
      const fromProm = rows.find(
        (r) => r.judge === `sequential, Prometheus ${s}s scrape` && r.scenario === sc.name,
      )
      return `${sc.name} ${fromProm === undefined || fromProxy === undefined ? '—' : `${(fromProm.medianDecisionSeconds - fromProxy.medianDecisionSeconds).toFixed(1)}s`}`
    })
    console.log(
      `Prometheus at a ${s}s scrape vs the proxy's own counters: median decision later by ${deltas.join(', ')} (bounded by the scrape interval plus one check)`,
    )
  }
  console.log(`wall time ${((Date.now() - started) / 1000).toFixed(1)}s`)
}
