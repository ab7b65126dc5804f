/**
 * The query sets against a real Prometheus scraping an exporter the test drives with series shaped
 * like each source's (names, labels and bucket layouts as Istio, ingress-nginx, Envoy, Traefik and
 * Linkerd document them): from the spec (`traffic: { querySet }`) through normalisation to the
 * provider, each set counts exactly the canary's and stable's requests and errors in the window and
 * re-bins their latency histograms so that a slow canary shows as slow; an error series born inside
 * the window counts whole, and a previous revision's errors on the same series do not count.
 * (Traefik's real series, from a real Traefik: test/k8s/traffic/traefik-query-set.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Counter, Histogram } from 'prom-client'
import type { MetricProviderPlan } from '../../src/analysis/types.js'
import { Tick } from '../../src/engine/tick.js'
import { PrometheusProvider } from '../../src/providers/prometheus/provider.js'
import { providerPlan } from '../../src/spec/normalize/metric-provider.js'
import type { QuerySetName } from '../../src/spec/query-sets.js'
import { startExporter, type TestExporter } from '../support/exporter.js'
import { startPrometheus, type TestPrometheus } from '../support/prometheus.js'

const ENVOY_BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
]
const NGINX_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const TRAEFIK_BUCKETS_S = [0.1, 0.3, 1.2, 5]
const LINKERD_BUCKETS_MS = [
  1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000,
  20000, 30000, 40000, 50000,
]

/** How one source records a request of one version. */
interface Source {
  record(role: 'canary' | 'stable', status: number, latencyMs: number): void
  /** A query giving the canary's request total, to know Prometheus has scraped it. */
  canaryTotal: string
}

let exporter: TestExporter
let prometheus: TestPrometheus
const sources = {} as Record<Exclude<QuerySetName, 'kanari'>, Source>
const SETS = ['istio', 'nginx', 'gateway-api', 'traefik', 'linkerd'] as const

function istio(): Source {
  const labels = [
    'reporter',
    'destination_workload',
    'destination_workload_namespace',
    'response_code',
  ]
  const requests = exporter.counter('istio_requests_total', labels)
  const duration = exporter.histogram(
    'istio_request_duration_milliseconds',
    labels,
    ENVOY_BUCKETS_MS,
  )
  return {
    record(role, status, ms) {
      const l = {
        reporter: 'destination',
        destination_workload: role === 'canary' ? 'checkout' : 'checkout-primary',
        destination_workload_namespace: 'shop',
        response_code: String(status),
      }
      requests.inc(l)
      duration.observe(l, ms)
      // What the client-side proxy reports too: never counted by the set (reporter="destination").
      requests.inc({ ...l, reporter: 'source' })
    },
    canaryTotal:
      'sum(istio_requests_total{reporter="destination", destination_workload="checkout"})',
  }
}

function nginx(): Source {
  const labels = ['namespace', 'ingress', 'service', 'canary', 'status', 'method', 'path']
  const requests = exporter.counter('nginx_ingress_controller_requests', labels)
  const duration = exporter.histogram(
    'nginx_ingress_controller_request_duration_seconds',
    labels,
    NGINX_BUCKETS_S,
  )
  return {
    record(role, status, ms) {
      const l = {
        namespace: 'shop',
        ingress: 'checkout',
        service: 'checkout',
        canary: role === 'canary' ? 'shop-checkout-canary-80' : '',
        status: String(status),
        method: 'GET',
        path: '/',
      }
      requests.inc(l)
      duration.observe(l, ms / 1000)
    },
    canaryTotal: 'sum(nginx_ingress_controller_requests{ingress="checkout", canary!=""})',
  }
}

function envoy(): Source {
  const total: Counter = exporter.counter('envoy_cluster_upstream_rq_total', ['envoy_cluster_name'])
  const byClass: Counter = exporter.counter('envoy_cluster_upstream_rq_xx', [
    'envoy_cluster_name',
    'envoy_response_code_class',
  ])
  const time: Histogram = exporter.histogram(
    'envoy_cluster_upstream_rq_time',
    ['envoy_cluster_name'],
    ENVOY_BUCKETS_MS,
  )
  return {
    record(role, status, ms) {
      const cluster = role === 'canary' ? 'shop_checkout-canary_80' : 'shop_checkout-primary_80'
      total.inc({ envoy_cluster_name: cluster })
      byClass.inc({
        envoy_cluster_name: cluster,
        envoy_response_code_class: String(status)[0] ?? '',
      })
      time.observe({ envoy_cluster_name: cluster }, ms)
    },
    canaryTotal:
      'sum(envoy_cluster_upstream_rq_total{envoy_cluster_name="shop_checkout-canary_80"})',
  }
}

function traefik(): Source {
  const labels = ['code', 'method', 'protocol', 'service']
  const requests = exporter.counter('traefik_service_requests_total', labels)
  const duration = exporter.histogram(
    'traefik_service_request_duration_seconds',
    labels,
    TRAEFIK_BUCKETS_S,
  )
  const backend = (svc: string): string =>
    `httproute-shop-checkout-gw-shop-gateway-ep-web-0-e3b0c44298fc1c149afb-svc-shop-${svc}-0@kubernetesgateway`
  return {
    record(role, status, ms) {
      const l = {
        code: String(status),
        method: 'GET',
        protocol: 'http',
        service: backend(role === 'canary' ? 'checkout-canary' : 'checkout-primary'),
      }
      requests.inc(l)
      duration.observe(l, ms / 1000)
      // Another namespace's Service of the same name: never counted.
      requests.inc({ ...l, service: l.service.replaceAll('-shop-', '-other-') })
    },
    canaryTotal: `sum(traefik_service_requests_total{service="${backend('checkout-canary')}"})`,
  }
}

function linkerd(): Source {
  const total = exporter.counter('response_total', [
    'direction',
    'namespace',
    'deployment',
    'classification',
    'status_code',
  ])
  const latency = exporter.histogram(
    'response_latency_ms',
    ['direction', 'namespace', 'deployment'],
    LINKERD_BUCKETS_MS,
  )
  return {
    record(role, status, ms) {
      const where = {
        direction: 'inbound',
        namespace: 'shop',
        deployment: role === 'canary' ? 'checkout' : 'checkout-primary',
      }
      total.inc({
        ...where,
        classification: status >= 500 ? 'failure' : 'success',
        status_code: String(status),
      })
      latency.observe(where, ms)
      // The caller's outbound side: never counted by the set (direction="inbound").
      total.inc({ ...where, direction: 'outbound', classification: 'success', status_code: '200' })
    },
    canaryTotal: 'sum(response_total{direction="inbound", deployment="checkout"})',
  }
}

beforeAll(async () => {
  exporter = await startExporter()
  sources.istio = istio()
  sources.nginx = nginx()
  sources['gateway-api'] = envoy()
  sources.traefik = traefik()
  sources.linkerd = linkerd()
  prometheus = await startPrometheus({ jobs: [{ job: 'mesh', targets: [exporter.target] }] })
}, 90_000)

afterAll(async () => {
  await prometheus.stop()
  await exporter.close()
})

async function scraped(query: string, value: number): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const r = await prometheus.query(query)
    const v = r.resultType === 'vector' ? r.series[0]?.value : undefined
    if (v === value) return
    if (Date.now() > deadline)
      throw new Error(`Prometheus never showed ${query} = ${value} (last ${String(v)})`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

function plan(set: QuerySetName, metric: 'error-rate' | 'latency-p99'): MetricProviderPlan {
  return providerPlan(
    {
      name: metric,
      provider: { prometheus: { address: prometheus.url, traffic: { querySet: set } } },
    },
    {
      spec: { namespace: 'shop', target: 'checkout', service: 'checkout', ingress: 'checkout' },
      intervalSeconds: 10,
    },
  )
}

describe('query sets against a real Prometheus', () => {
  for (const set of SETS) {
    it(`${set}: per-version counts and latency from the source's own series`, async () => {
      const source = sources[set]
      // Something before the window, so that its start has totals to subtract.
      source.record('canary', 200, 20)
      source.record('stable', 200, 20)
      await scraped(source.canaryTotal, 1)
      const from = Date.now()
      for (let i = 0; i < 100; i++) source.record('canary', i < 10 ? 503 : 200, 300)
      for (let i = 0; i < 400; i++) source.record('stable', i < 2 ? 500 : 200, 40)
      await scraped(source.canaryTotal, 101)
      // One more scrape, so the stable side (the same scrape) is in too.
      await new Promise((r) => setTimeout(r, 1500))
      const to = Date.now()
      const context = { traffic: { ...Tick.stableOnly(1, 2), canaryWeight: 20 }, now: to }
      const provider = new PrometheusProvider()
      const errors = await provider.measure(
        { runId: 'r', metric: 'error-rate', provider: plan(set, 'error-rate'), from, to },
        context,
      )
      expect(errors.error).toBeUndefined()
      expect(errors.traffic?.canary).toMatchObject({ requests: 100, errors: 10 })
      expect(errors.traffic?.stable).toMatchObject({ requests: 400, errors: 2 })
      expect(errors.value).toBe(10)
      const latency = await provider.measure(
        { runId: 'r', metric: 'latency-p99', provider: plan(set, 'latency-p99'), from, to },
        context,
      )
      expect(latency.error).toBeUndefined()
      const canaryBuckets = latency.traffic?.canary.latencyBuckets ?? []
      const stableBuckets = latency.traffic?.stable.latencyBuckets ?? []
      expect(canaryBuckets.reduce((a, b) => a + b, 0)).toBe(100)
      expect(stableBuckets.reduce((a, b) => a + b, 0)).toBe(400)
      // 300 ms requests land between the source's bounds around 300 ms; 40 ms ones far below.
      expect(latency.value).toBeGreaterThanOrEqual(200)
      expect(latency.value).toBeLessThanOrEqual(500)
    })
  }

  for (const set of SETS) {
    it(`${set}: a new revision on the same Services is not charged with the old one's errors`, async () => {
      const source = sources[set]
      const before = await prometheus.query(source.canaryTotal)
      const base = before.resultType === 'vector' ? (before.series[0]?.value ?? 0) : 0
      // The previous revision fails half its requests on the canary Service…
      for (let i = 0; i < 40; i++) source.record('canary', i % 2 === 0 ? 500 : 200, 20)
      await scraped(source.canaryTotal, base + 40)
      // …the new revision starts its window on the same series and fails none.
      const from = Date.now()
      for (let i = 0; i < 60; i++) source.record('canary', 200, 20)
      for (let i = 0; i < 60; i++) source.record('stable', 200, 20)
      await scraped(source.canaryTotal, base + 100)
      await new Promise((r) => setTimeout(r, 1500))
      const to = Date.now()
      const errors = await new PrometheusProvider().measure(
        { runId: 'r', metric: 'error-rate', provider: plan(set, 'error-rate'), from, to },
        { traffic: { ...Tick.stableOnly(1, 2), canaryWeight: 20 }, now: to },
      )
      expect(errors.error).toBeUndefined()
      expect(errors.traffic?.canary).toMatchObject({ requests: 60, errors: 0 })
      expect(errors.value).toBe(0)
    })
  }
})
