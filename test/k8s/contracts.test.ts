/**
 * The Kubernetes ports against their contract suites, on the real API server: every traffic router
 * (Gateway API HTTPRoute, Istio VirtualService, NGINX canary Ingress, SMI TrafficSplit, and the
 * replica-ratio apex Service) and the status store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runMetricProviderContract } from '../../src/controller/test-utils/metric-provider-contract.js'
import { runRolloutStoreContract } from '../../src/controller/test-utils/rollout-store-contract.js'
import type { MeasurementRequest, MetricPlan } from '../../src/analysis/types.js'
import { JobMetricProvider } from '../../src/kubernetes/analysis/job-provider.js'
import { runTrafficRouterContract } from '../../src/controller/test-utils/traffic-router-contract.js'
import type { TrafficState } from '../../src/engine/status.js'
import {
  GatewayApiRouter,
  IstioRouter,
  NginxRouter,
  ReplicaRatioRouter,
  SmiRouter,
  type RouteBackends,
} from '../../src/kubernetes/routers/index.js'
import { ENDPOINT_SLICES } from '../../src/kubernetes/routers/replica-ratio.js'
import { KubeRolloutStatusStore } from '../../src/kubernetes/store/rollout-status-store.js'
import { RESOURCES, type KubeObject } from '../../src/kubernetes/kit/types.js'
import { deployment, kube, testNamespace, waitFor } from './support/kube.js'

let ns: Awaited<ReturnType<typeof testNamespace>>
let n = 0
const unique = (prefix: string): string => `${prefix}-${++n}`

beforeAll(async () => {
  ns = await testNamespace('contracts')
})
afterAll(async () => {
  await ns.delete()
})

const backends = (app: string): RouteBackends => ({
  primaryService: `${app}-primary`,
  canaryService: `${app}-canary`,
  port: 80,
  stableBackend: () => 'primary',
})

runTrafficRouterContract('Gateway API HTTPRoute on the API server', async () => {
  const c = await kube()
  const name = unique('route')
  await c.create(RESOURCES.httpRoutes, ns.name, {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: ns.name },
    spec: { parentRefs: [{ name: 'gateway' }], hostnames: ['web.example.com'] },
  })
  return {
    router: new GatewayApiRouter(c, ns.name, name, backends('web')),
    close: async () => {
      await c.delete(RESOURCES.httpRoutes, ns.name, name)
    },
  }
})

runTrafficRouterContract('Istio VirtualService on the API server', async () => {
  const c = await kube()
  const name = unique('vs')
  await c.create(RESOURCES.virtualServices, ns.name, {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: ns.name },
    spec: { hosts: ['web.example.com'], http: [{ route: [{ destination: { host: 'web' } }] }] },
  })
  return {
    router: new IstioRouter(c, ns.name, name, backends('web')),
    close: async () => {
      await c.delete(RESOURCES.virtualServices, ns.name, name)
    },
  }
})

runTrafficRouterContract('NGINX canary Ingress on the API server', async () => {
  const c = await kube()
  const name = unique('ingress')
  await c.create(RESOURCES.ingresses, ns.name, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns.name },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'web.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'web', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  })
  return {
    router: new NginxRouter(c, ns.name, name, backends('web')),
    close: async () => {
      await c.delete(RESOURCES.ingresses, ns.name, name)
      await c.delete(RESOURCES.ingresses, ns.name, `${name}-canary`)
    },
  }
})

runTrafficRouterContract('SMI TrafficSplit on the API server', async () => {
  const c = await kube()
  const name = unique('split')
  return {
    router: new SmiRouter(c, ns.name, name, 'web', backends('web')),
    close: async () => {
      await c.delete(RESOURCES.trafficSplits, ns.name, name)
    },
  }
})

runTrafficRouterContract(
  'replica ratio on the apex Service (KWOK pods, real EndpointSlices)',
  async () => {
    const c = await kube()
    const app = unique('app')
    const primary = deployment(ns.name, `${app}-primary`, '1', 2)
    const canary = deployment(ns.name, app, '2', 2)
    const services: KubeObject[] = [
      [`${app}-primary`, `${app}-primary`],
      [`${app}-canary`, app],
    ].map(([svc, selector]) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: svc ?? '', namespace: ns.name },
      spec: { selector: { app: selector }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    }))
    await c.create(RESOURCES.deployments, ns.name, primary)
    await c.create(RESOURCES.deployments, ns.name, canary)
    for (const s of services) await c.create(RESOURCES.services, ns.name, s)
    for (const svc of [`${app}-primary`, `${app}-canary`])
      await waitFor(`2 ready endpoints of ${svc}`, async () => {
        const slices = await c.list<
          KubeObject & { endpoints?: { conditions?: { ready?: boolean } }[] }
        >(ENDPOINT_SLICES, ns.name, { labelSelector: `kubernetes.io/service-name=${svc}` })
        const ready = slices.items
          .flatMap((s) => s.endpoints ?? [])
          .filter((e) => e.conditions?.ready === true)
        return ready.length === 2 ? true : undefined
      })
    // The apex and the slice are owned by a Rollout: without a real one the garbage collector takes them.
    const owner = await c.create<KubeObject>(RESOURCES.rollouts, ns.name, {
      apiVersion: 'kanari.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: app, namespace: ns.name },
      spec: {
        workload: { targetRef: { kind: 'Deployment', name: app } },
        service: { port: 80 },
        strategy: { canary: { steps: [{ setWeight: 30 }] } },
      },
    })
    const router = new ReplicaRatioRouter(
      c,
      {
        namespace: ns.name,
        rollout: { name: app, uid: owner.metadata.uid ?? '' },
        target: app,
        service: app,
      },
      backends(app),
      { primary: { app: `${app}-primary` }, canary: { app } },
      { port: 80, name: 'http' },
      () => 8080,
    )
    return {
      router,
      close: async () => {
        for (const d of [`${app}-primary`, app]) await c.delete(RESOURCES.deployments, ns.name, d)
        for (const s of [`${app}-primary`, `${app}-canary`, app])
          await c.delete(RESOURCES.services, ns.name, s)
        await c.delete(ENDPOINT_SLICES, ns.name, `${app}-kanari-canary`)
        await c.delete(RESOURCES.rollouts, ns.name, app)
      },
    }
  },
)

runRolloutStoreContract('Rollout status subresource on the API server', async () => {
  const c = await kube()
  const prefix = unique('store')
  const names = { a: `${prefix}-a`, b: `${prefix}-b`, missing: `${prefix}-missing` }
  for (const name of [names.a, names.b])
    await c.create(RESOURCES.rollouts, ns.name, {
      apiVersion: 'kanari.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name, namespace: ns.name },
      spec: {
        workload: { targetRef: { kind: 'Deployment', name: 'web' } },
        service: { port: 80 },
        strategy: { canary: { steps: [{ setWeight: 10 }] } },
      },
    })
  const inner = new KubeRolloutStatusStore(c, ns.name)
  // The suite names rollouts a, b and missing; here they carry a unique prefix.
  const map = (r: string): string => (r === 'a' || r === 'b' || r === 'missing' ? names[r] : r)
  return {
    store: {
      loadStatus: (r) => inner.loadStatus(map(r)),
      saveStatus: (r, s, e) => inner.saveStatus(map(r), s, e),
      events: async (r, o) => (await inner.events(map(r), o)).map((e) => ({ ...e, rollout: r })),
    },
    close: async () => {
      for (const name of [names.a, names.b]) await c.delete(RESOURCES.rollouts, ns.name, name)
    },
  }
})

// The job provider: KWOK completes the Job's pod (data: 1); a namespace whose quota admits no pod
// leaves the Job unfinished past its timeout (no data, NaN: errors); a namespace that does not exist
// refuses the Job (failure).
runMetricProviderContract('job (a Kubernetes Job per measurement)', async () => {
  const c = await kube()
  const starved = unique(`${ns.name}-starved`)
  await c.create(RESOURCES.namespaces, undefined, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: starved, labels: { 'kanari.dev/test': 'true' } },
  })
  await c.create(
    { group: '', version: 'v1', plural: 'resourcequotas', kind: 'ResourceQuota' },
    starved,
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'no-pods', namespace: starved },
      spec: { hard: { pods: '0' } },
    },
  )
  const metric: MetricPlan = {
    name: 'smoke',
    provider: {
      kind: 'job',
      namespace: ns.name,
      image: 'registry.example/smoke:1',
      command: ['/smoke'],
    },
    intervalSeconds: 1,
    count: 1,
    initialDelaySeconds: 0,
    successCondition: 'result == 1',
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 0,
    errorGraceSeconds: 0,
  }
  const provider = new JobMetricProvider(c, { pollMs: 250 })
  return {
    provider,
    arrange: (scenario) => {
      const now = Date.now()
      const namespace =
        scenario === 'data' ? ns.name : scenario === 'failure' ? `${ns.name}-absent` : starved
      const plan = {
        ...metric,
        provider: { ...metric.provider, namespace, timeoutSeconds: 4 },
      } as MetricPlan
      const request: MeasurementRequest = {
        runId: `contract-${scenario}-${now}`,
        metric: 'smoke',
        provider: plan.provider,
        from: now - 1000,
        to: now,
      }
      return Promise.resolve({
        request,
        context: {
          traffic: {
            stableRevision: 1,
            canaryRevision: 2,
            canaryWeight: 10,
            headerRoutes: [],
            mirror: null,
          },
          now,
        },
        metric: plan,
      })
    },
    close: async () => {
      await c.delete(RESOURCES.namespaces, undefined, starved)
    },
  }
})

// A/B by cookie and by header, and a mirror of matched requests: what the contract suite's header
// route does not reach. Each router writes the match into its object as its API spells it, and
// reads the same state back.
describe('A/B by cookie and header, mirror by match, on the API server', () => {
  const ab: TrafficState = {
    stableRevision: 1,
    canaryRevision: 2,
    canaryWeight: 0,
    headerRoutes: [
      { name: 'beta', match: [{ cookieName: 'beta', cookieValue: { exact: 'yes' } }] },
      { name: 'qa', match: [{ headerName: 'x-user', headerValue: { prefix: 'qa-' } }] },
    ],
    mirror: {
      name: 'shadow',
      percentage: 20,
      match: [{ headerName: 'x-mirror', headerValue: { exact: '1' } }],
    },
  }

  it('Gateway API: a Cookie header regex, a header regex and a RequestMirror filter', async () => {
    const c = await kube()
    const name = unique('ab-route')
    await c.create(RESOURCES.httpRoutes, ns.name, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name, namespace: ns.name },
      spec: { parentRefs: [{ name: 'gateway' }], hostnames: ['web.example.com'] },
    })
    const router = new GatewayApiRouter(c, ns.name, name, backends('web'))
    await router.apply(ab)
    expect(await router.verify()).toEqual(ab)
    const route = await c.get(RESOURCES.httpRoutes, ns.name, name)
    const rules = (route.spec as { rules: Record<string, unknown>[] }).rules
    const byName = (n: string) => rules.find((r) => r.name === n)
    expect(byName('kanari-header-0')?.matches).toEqual([
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [{ type: 'RegularExpression', name: 'Cookie', value: '(^|;\\s*)beta=yes(;|$)' }],
      },
    ])
    expect(byName('kanari-header-1')?.matches).toEqual([
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [{ type: 'RegularExpression', name: 'x-user', value: '^qa\\-' }],
      },
    ])
    const mirror = byName('kanari-mirror')
    expect(mirror?.matches).toEqual([
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [{ type: 'Exact', name: 'x-mirror', value: '1' }],
      },
    ])
    expect(mirror?.filters).toEqual([
      {
        type: 'RequestMirror',
        requestMirror: {
          backendRef: { group: '', kind: 'Service', name: 'web-canary', port: 80 },
          percent: 20,
        },
      },
    ])
    await c.delete(RESOURCES.httpRoutes, ns.name, name)
  })

  it('Istio: a cookie regex, a header prefix and a mirror percentage', async () => {
    const c = await kube()
    const name = unique('ab-vs')
    await c.create(RESOURCES.virtualServices, ns.name, {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name, namespace: ns.name },
      spec: { hosts: ['web.example.com'], http: [{ route: [{ destination: { host: 'web' } }] }] },
    })
    const router = new IstioRouter(c, ns.name, name, backends('web'))
    await router.apply(ab)
    expect(await router.verify()).toEqual(ab)
    const vs = await c.get(RESOURCES.virtualServices, ns.name, name)
    const text = JSON.stringify(vs.spec)
    expect(text).toContain(JSON.stringify({ cookie: { regex: '^(.*?;\\s*)?beta=yes(;.*)?$' } }))
    expect(text).toContain(JSON.stringify({ 'x-user': { prefix: 'qa-' } }))
    expect(text).toContain('"mirrorPercentage":{"value":20}')
    await c.delete(RESOURCES.virtualServices, ns.name, name)
  })
})
