/**
 * The traefik query set against the real thing: Traefik routing an HTTPRoute split between two
 * Services of demo-app processes, Prometheus scraping Traefik each second. Over a window, the set
 * counts exactly the requests and 5xx answers each Service's users got (the canary's 5xx series is
 * born inside the window), re-bins Traefik's latency histogram so a slow canary shows as slow, and a
 * later window on the same Services counts only its own requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { Tick } from '../../../src/engine/tick.js'
import { PrometheusProvider } from '../../../src/providers/prometheus/provider.js'
import { providerPlan } from '../../../src/spec/normalize/metric-provider.js'
import { applyObject, testNamespace, waitFor } from '../support/kube.js'
import { appDeployment, gatewayAndRoute, trafficStack, type TrafficStack } from './stack.js'

let stack: TrafficStack
let ns: Awaited<ReturnType<typeof testNamespace>>
let host: string

async function prom(query: string): Promise<number | undefined> {
  const res = await request(
    `${stack.prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`,
  )
  const body = (await res.body.json()) as {
    data: { result: { value: [number, string] }[] }
  }
  const v = body.data.result[0]?.value[1]
  return v === undefined ? undefined : Number(v)
}

beforeAll(async () => {
  stack = trafficStack()
  ns = await testNamespace('traefik-qs')
  host = await gatewayAndRoute(ns.name, 'web', stack)
  await applyObject(
    appDeployment(ns.name, 'web', { VERSION: 'canary', ERROR_RATE: '0', LATENCY_MS: '300' }),
  )
  await applyObject(appDeployment(ns.name, 'web-primary', { VERSION: 'stable' }))
  for (const [svc, app] of [
    ['web-canary', 'web'],
    ['web-primary', 'web-primary'],
  ] as const)
    await applyObject({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: svc, namespace: ns.name },
      spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    })
  await applyObject({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace: ns.name },
    spec: {
      parentRefs: [{ name: 'gateway' }],
      hostnames: [host],
      rules: [
        {
          backendRefs: [
            { name: 'web-primary', port: 80, weight: 50 },
            { name: 'web-canary', port: 80, weight: 50 },
          ],
        },
      ],
    },
  })
  await waitFor(
    'both Services answering through Traefik',
    async () => {
      await send(10)
      return (tally.canary?.requests ?? 0) > 0 && (tally.stable?.requests ?? 0) > 0
        ? true
        : undefined
    },
    120_000,
  )
}, 180_000)

afterAll(async () => {
  await ns.delete()
})

type Tally = Record<string, { requests: number; errors: number }>
/** Every request this file sends through the gateway, by the version that answered ("gateway": none). */
const tally: Tally = {}

/** One request through the gateway, counted; its status. */
async function get(): Promise<number> {
  const res = await request(`http://127.0.0.1:${stack.gatewayPort}/color`, { headers: { host } })
  const text = await res.body.text()
  let version = 'gateway'
  try {
    version = (JSON.parse(text) as { version?: string }).version ?? 'gateway'
  } catch {
    // not the app's answer
  }
  const v = (tally[version] ??= { requests: 0, errors: 0 })
  v.requests++
  if (res.statusCode >= 500) v.errors++
  return res.statusCode
}

async function send(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await get()
}

const snapshot = (): Tally => structuredClone(tally)
function since(before: Tally, version: string): { requests: number; errors: number } {
  const a = tally[version] ?? { requests: 0, errors: 0 }
  const b = before[version] ?? { requests: 0, errors: 0 }
  return { requests: a.requests - b.requests, errors: a.errors - b.errors }
}

const backend = (svc: string): string =>
  `traefik_service_requests_total{service=~".+-svc-${ns.name}-${svc}-[0-9]+@kubernetesgateway"}`

async function measure(metric: 'error-rate' | 'latency-p99', from: number, to: number) {
  const plan = providerPlan(
    {
      name: metric,
      provider: { prometheus: { address: stack.prometheusUrl, traffic: { querySet: 'traefik' } } },
    },
    {
      spec: { namespace: ns.name, target: 'web', service: 'web', ingress: 'web' },
      intervalSeconds: 1,
    },
  )
  return new PrometheusProvider().measure(
    { runId: 'r', metric, provider: plan, from, to },
    { traffic: { ...Tick.stableOnly(1, 2), canaryWeight: 50 }, now: to },
  )
}

/** Waits until Prometheus has scraped Traefik's counters at least up to these totals. */
async function scrapedUpTo(canary: number, stable: number): Promise<void> {
  await waitFor(
    'Prometheus to scrape the window',
    async () =>
      ((await prom(`sum(${backend('web-canary')})`)) ?? 0) >= canary &&
      ((await prom(`sum(${backend('web-primary')})`)) ?? 0) >= stable
        ? true
        : undefined,
    30_000,
  )
  // One more scrape interval, so the window's end sees the same scrape for both.
  await new Promise((r) => setTimeout(r, 1200))
}

describe('the traefik query set on a real Traefik and Prometheus', () => {
  it('counts each backend exactly; a 5xx series born in the window counts whole; latency shows', async () => {
    const errorsOf = (svc: string): string => `sum(${backend(svc).replace('}', ', code=~"5.."}')})`
    // No 5xx yet: the canary's error series does not exist.
    expect(await prom(errorsOf('web-canary'))).toBeUndefined()
    await scrapedUpTo(tally.canary?.requests ?? 0, tally.stable?.requests ?? 0)
    const start = snapshot()
    const from = Date.now()
    // The canary starts failing inside the window: its 5xx series is born there.
    await applyObject(
      appDeployment(ns.name, 'web', { VERSION: 'canary', ERROR_RATE: '30', LATENCY_MS: '300' }),
    )
    await waitFor(
      'the failing canary answering',
      async () => ((await get()) === 500 ? true : undefined),
      60_000,
    )
    await send(200)
    const canary = since(start, 'canary')
    const stable = since(start, 'stable')
    await scrapedUpTo(tally.canary?.requests ?? 0, tally.stable?.requests ?? 0)
    const to = Date.now()
    const errors = await measure('error-rate', from, to)
    console.log(
      `traefik set, real Traefik: users got canary ${canary.requests} (${canary.errors} 5xx), stable ${stable.requests} (${stable.errors} 5xx), gateway errors ${since(start, 'gateway').requests}; measured canary ${errors.traffic?.canary.requests}/${errors.traffic?.canary.errors}, stable ${errors.traffic?.stable.requests}/${errors.traffic?.stable.errors}`,
    )
    expect(errors.error).toBeUndefined()
    // The process kubelet drains a replaced pod before stopping it: no answer came from Traefik itself.
    expect(since(start, 'gateway').requests).toBe(0)
    expect(canary.errors).toBeGreaterThan(0)
    expect(errors.traffic?.canary).toMatchObject(canary)
    expect(errors.traffic?.stable).toMatchObject({ requests: stable.requests, errors: 0 })
    const latency = await measure('latency-p99', from, to)
    expect(latency.error).toBeUndefined()
    // 300 ms (±20%) canary answers; the stable's are fast.
    expect(latency.value).toBeGreaterThanOrEqual(200)
    expect(latency.value).toBeLessThanOrEqual(500)

    // A later window on the same Services: only its own requests, none of the earlier errors.
    await applyObject(
      appDeployment(ns.name, 'web', { VERSION: 'canary', ERROR_RATE: '0', LATENCY_MS: '300' }),
    )
    await waitFor(
      'the healthy canary answering 20 in a row',
      async () => {
        for (let i = 0; i < 20; i++) if ((await get()) !== 200) return undefined
        return true
      },
      60_000,
    )
    await scrapedUpTo(tally.canary?.requests ?? 0, tally.stable?.requests ?? 0)
    const start2 = snapshot()
    const from2 = Date.now()
    await send(100)
    await scrapedUpTo(tally.canary?.requests ?? 0, tally.stable?.requests ?? 0)
    const second = await measure('error-rate', from2, Date.now())
    expect(second.error).toBeUndefined()
    expect(second.traffic?.canary).toMatchObject({
      requests: since(start2, 'canary').requests,
      errors: 0,
    })
    expect(second.value).toBe(0)
    // Traefik's weighted round robin is deterministic: 100 sequential requests at 50/50.
    expect(since(start2, 'canary').requests).toBe(50)
    expect(since(start2, 'stable').requests).toBe(50)
  })
})
