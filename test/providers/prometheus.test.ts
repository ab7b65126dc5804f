/**
 * The prometheus provider against a real Prometheus (Debian's, 1 s scrape) scraping an exporter the
 * test drives: the MetricProvider contract for one query and for per-version counters (Istio's query
 * set), then range queries, the measured version's variables, Prometheus' own errors, and basic auth
 * on a Prometheus that requires it. A stand-in answers only what no real server gives on demand: an
 * HTML page where the API's JSON was expected, and an API behind a bearer token.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MetricPlan, TrafficQueries } from '../../src/analysis/types.js'
import {
  runMetricProviderContract,
  type ProviderScenario,
} from '../../src/controller/test-utils/metric-provider-contract.js'
import { errorRateMetric } from '../../src/engine/test-utils/plans.js'
import { Tick } from '../../src/engine/tick.js'
import { freePort } from '../../src/local/free-port.js'
import { PrometheusProvider } from '../../src/providers/prometheus/provider.js'
import { fillVariables } from '../../src/spec/metric-variables.js'
import { QUERY_SETS } from '../../src/spec/query-sets.js'
import { startStandIn, type StandIn } from '../support/api-stand-in.js'
import { startExporter, type TestExporter } from '../support/exporter.js'
import { startPrometheus, type TestPrometheus } from '../support/prometheus.js'

const ISTIO_BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
]

let exporter: TestExporter
let prometheus: TestPrometheus
let standIn: StandIn
let ratio: ReturnType<TestExporter['gauge']>
let requests: ReturnType<TestExporter['counter']>

beforeAll(async () => {
  exporter = await startExporter()
  ratio = exporter.gauge('checkout_error_ratio', ['service'])
  requests = exporter.counter('istio_requests_total', [
    'reporter',
    'destination_workload',
    'destination_workload_namespace',
    'response_code',
  ])
  exporter.histogram(
    'istio_request_duration_milliseconds',
    ['reporter', 'destination_workload', 'destination_workload_namespace', 'response_code'],
    ISTIO_BUCKETS_MS,
  )
  ratio.set({ service: 'checkout' }, 0.4)
  ratio.set({ service: 'payments' }, 0.7)
  ratio.set({ service: 'broken' }, Number.NaN)
  standIn = await startStandIn(() => ({
    status: 200,
    type: 'text/html',
    body: '<html><head><title>Sign in</title></head><body>Please sign in</body></html>',
  }))
  prometheus = await startPrometheus({ jobs: [{ job: 'exporter', targets: [exporter.target] }] })
  await prometheus.waitForData('checkout_error_ratio{service="checkout"}')
}, 90_000)

afterAll(async () => {
  await prometheus.stop()
  await exporter.close()
  await standIn.close()
})

/** Waits until Prometheus has scraped `query` at `value` (a total the exporter just reached). */
async function scraped(query: string, value: number): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const r = await prometheus.query(query)
    const v =
      r.resultType === 'vector'
        ? r.series[0]?.value
        : r.resultType === 'scalar'
          ? r.value
          : undefined
    if (v === value) return
    if (Date.now() > deadline)
      throw new Error(`Prometheus never showed ${query} = ${value} (last ${String(v)})`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

async function addressFor(scenario: ProviderScenario): Promise<string> {
  if (scenario === 'failure') return `http://127.0.0.1:${await freePort()}`
  if (scenario === 'malformed') return standIn.url
  return prometheus.url
}

function queryMetric(address: string, query: string, timeoutSeconds = 2): MetricPlan {
  return errorRateMetric({
    name: 'checkout-error-ratio',
    provider: { kind: 'prometheus', address, query, headers: {}, timeoutSeconds },
  })
}

/** The fixture freezes Prometheus for a timeout; it thaws it when the scenario is over. */
function freezeFor(scenario: ProviderScenario): void {
  if (scenario === 'timeout') prometheus.freeze()
}

runMetricProviderContract(
  'prometheus one query (a real Prometheus)',
  () =>
    Promise.resolve({
      provider: new PrometheusProvider(),
      async arrange(scenario) {
        const query =
          scenario === 'no-data'
            ? 'sum(checkout_error_ratio{service="absent"})'
            : scenario === 'nan'
              ? 'max(checkout_error_ratio{service="broken"})'
              : scenario === 'vector'
                ? 'checkout_error_ratio{service=~"checkout|payments"}'
                : 'sum(checkout_error_ratio{service="checkout"})'
        const m = queryMetric(await addressFor(scenario), query, scenario === 'timeout' ? 1 : 5)
        freezeFor(scenario)
        const now = Date.now()
        return {
          metric: m,
          request: {
            runId: 'contract',
            metric: m.name,
            provider: m.provider,
            from: now - 10_000,
            to: now,
          },
          context: { traffic: Tick.stableOnly(1, 2), now },
        }
      },
      close: () => {
        prometheus.thaw()
        return Promise.resolve()
      },
    }),
  ['timeout', 'malformed', 'vector'],
)

function istio(target: string, overrides: Partial<TrafficQueries> = {}): TrafficQueries {
  const set = QUERY_SETS.istio
  const vars = { namespace: 'shop', target }
  return {
    metric: 'error-rate',
    querySet: 'istio',
    selectors: {
      canary: fillVariables(set.selectors.canary, vars),
      stable: fillVariables(set.selectors.stable, vars),
    },
    requests: set.requests,
    errors: set.errors,
    latencyBuckets: set.latencyBuckets,
    latencySum: set.latencySum,
    latencyUnit: set.latencyUnit,
    ...overrides,
  }
}

function served(workload: string, code: string, n: number): void {
  requests.inc(
    {
      reporter: 'destination',
      destination_workload: workload,
      destination_workload_namespace: 'shop',
      response_code: code,
    },
    n,
  )
}

const total = (workload: string): string =>
  `sum(istio_requests_total{destination_workload="${workload}"})`

runMetricProviderContract(
  'prometheus per-version counters, Istio query set (a real Prometheus)',
  () => {
    const provider = new PrometheusProvider()
    return Promise.resolve({
      provider,
      async arrange(scenario) {
        const address = await addressFor(scenario)
        // Each scenario has a workload of its own: counters only grow, and scenarios must not mix.
        const target = `reviews-${scenario}-${Math.random().toString(36).slice(2, 8)}`
        let traffic = istio(target)
        if (scenario === 'data' || scenario === 'nan' || scenario === 'vector') {
          served(target, '200', 10)
          served(target, '500', 1)
          served(`${target}-primary`, '200', 50)
          await scraped(total(target), 11)
        }
        // A window that ends now: what was served in it, or (server scenarios) the last 5 s.
        const from =
          scenario === 'data' || scenario === 'nan' || scenario === 'vector'
            ? Date.now()
            : Date.now() - 5000
        if (scenario === 'data') {
          served(target, '200', 199)
          served(target, '503', 1)
          served(`${target}-primary`, '200', 796)
          served(`${target}-primary`, '500', 4)
          await scraped(total(target), 211)
          await scraped(total(`${target}-primary`), 850)
        }
        if (scenario === 'nan') await new Promise((r) => setTimeout(r, 2500))
        if (scenario === 'vector') {
          // Without sum(…): one series per response code, where one total is wanted.
          traffic = istio(target, {
            requests: 'istio_requests_total{ reporter="destination", {{ selector }} }',
          })
          served(target, '200', 5)
          await scraped(total(target), 16)
        }
        const m = errorRateMetric({
          name: 'error-rate',
          provider: {
            kind: 'prometheus',
            address,
            headers: {},
            traffic,
            timeoutSeconds: scenario === 'timeout' ? 1 : 5,
          },
        })
        freezeFor(scenario)
        const now = Date.now()
        return {
          metric: m,
          request: { runId: 'contract', metric: m.name, provider: m.provider, from, to: now },
          context: { traffic: { ...Tick.stableOnly(1, 2), canaryWeight: 20 }, now },
        }
      },
      close: () => {
        prometheus.thaw()
        return Promise.resolve()
      },
    })
  },
  ['timeout', 'malformed', 'vector'],
)

describe('prometheus provider', () => {
  const context = () => ({
    traffic: { ...Tick.stableOnly(3, 4), canaryWeight: 10 },
    now: Date.now(),
  })
  const measure = (m: MetricPlan, from = Date.now() - 60_000) =>
    new PrometheusProvider().measure(
      { runId: 'r', metric: m.name, provider: m.provider, from, to: Date.now() },
      context(),
    )

  it('counts exactly what was served in the window, canary and stable apart', async () => {
    const target = 'ratings'
    served(target, '200', 1)
    served(`${target}-primary`, '200', 1)
    await scraped(total(target), 1)
    await scraped(total(`${target}-primary`), 1)
    const from = Date.now()
    served(target, '200', 37)
    served(target, '502', 3)
    served(`${target}-primary`, '200', 395)
    served(`${target}-primary`, '500', 5)
    await scraped(total(target), 41)
    await scraped(total(`${target}-primary`), 401)
    const m = errorRateMetric({
      provider: {
        kind: 'prometheus',
        address: prometheus.url,
        headers: {},
        traffic: istio(target),
      },
    })
    const answer = await measure(m, from)
    expect(answer.error).toBeUndefined()
    expect(answer.traffic?.canary).toMatchObject({ requests: 40, errors: 3 })
    expect(answer.traffic?.stable).toMatchObject({ requests: 400, errors: 5 })
    expect(answer.value).toBe(7.5)
  })

  it('fills {{ revision }} and {{ role }} with the version measured', async () => {
    expect(await measure(queryMetric(prometheus.url, 'vector({{ revision }})'))).toMatchObject({
      value: 4,
    })
    ratio.set({ service: 'canary' }, 0.9)
    await scraped('sum(checkout_error_ratio{service="canary"})', 0.9)
    const byRole = queryMetric(prometheus.url, 'sum(checkout_error_ratio{service="{{ role }}"})')
    expect(await measure(byRole)).toMatchObject({ value: 0.9 })
  })

  it('answers a range query with the points of its one series', async () => {
    const m = errorRateMetric({
      name: 'ratio-over-time',
      provider: {
        kind: 'prometheus',
        address: prometheus.url,
        query: 'sum(checkout_error_ratio{service="checkout"})',
        range: { seconds: 4, stepSeconds: 1 },
        headers: {},
      },
      successCondition: 'max(result) < 1',
    })
    const answer = await measure(m)
    expect(Array.isArray(answer.value)).toBe(true)
    expect((answer.value as number[]).length).toBeGreaterThanOrEqual(4)
    for (const v of answer.value as number[]) expect(v).toBe(0.4)
  })

  it("passes on Prometheus' own refusal of a query, with its reason", async () => {
    const answer = await measure(queryMetric(prometheus.url, 'sum(rate(checkout_error_ratio[1m])'))
    expect(answer.error).toMatch(
      new RegExp(
        `^Prometheus at ${prometheus.url} refused the query \\(HTTP 400, bad_data\\): .*parse error.*\\(check the query\\)$`,
      ),
    )
  })

  it('refuses a range vector where one value is wanted', async () => {
    const answer = await measure(
      queryMetric(prometheus.url, 'checkout_error_ratio{service="checkout"}[30s]'),
    )
    expect(answer.error).toMatch(/gave a range vector/)
  })

  it('sends a bearer token from a file; the token never appears in what it reports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanari-token-'))
    writeFileSync(join(dir, 'token'), 'tok-abc-123\n')
    const api = await startStandIn((req) =>
      req.headers.authorization === 'Bearer tok-abc-123'
        ? {
            status: 200,
            type: 'application/json',
            body: '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.5"]}]}}',
          }
        : { status: 401, type: 'text/plain', body: 'Unauthorized' },
    )
    try {
      const good = queryMetric(api.url, 'sum(x)')
      if (good.provider.kind !== 'prometheus') throw new Error('unreachable')
      good.provider.auth = { kind: 'bearer', token: { file: join(dir, 'token') } }
      expect(await measure(good)).toMatchObject({ value: 0.5 })
      expect(api.requests[0]?.body).toContain('query=sum%28x%29')
      writeFileSync(join(dir, 'token'), 'wrong-token')
      const refused = await measure(good)
      expect(refused.error).toBe(
        `Prometheus at ${api.url} answered HTTP 401: check the provider's auth`,
      )
      expect(JSON.stringify(refused)).not.toContain('wrong-token')
    } finally {
      await api.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('uses basic auth on a Prometheus that requires it', async () => {
    const protectedProm = await startPrometheus({
      jobs: [{ job: 'exporter', targets: [exporter.target] }],
      // bcrypt of "kanari-test-password": Prometheus' web config takes only hashes.
      basicAuth: {
        username: 'kanari',
        bcryptHash: '$2b$12$CmzgmiJJXXJq8VdjwM3sUeucojthHbPoRDzf6wphitD/KZQHXD48a',
      },
    })
    try {
      const m = queryMetric(protectedProm.url, 'vector(1)')
      if (m.provider.kind !== 'prometheus') throw new Error('unreachable')
      const without = await measure(m)
      expect(without.error).toMatch(/answered HTTP 401: check the provider's auth/)
      process.env.KANARI_TEST_PROM_PASSWORD = 'kanari-test-password'
      m.provider.auth = {
        kind: 'basic',
        username: 'kanari',
        password: { env: 'KANARI_TEST_PROM_PASSWORD' },
      }
      expect(await measure(m)).toMatchObject({ value: 1 })
    } finally {
      delete process.env.KANARI_TEST_PROM_PASSWORD
      await protectedProm.stop()
    }
  }, 90_000)
})
