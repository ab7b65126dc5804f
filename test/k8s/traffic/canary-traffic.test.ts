/**
 * Canary releases carrying real requests: demo-app pods run as processes, Traefik routes by the
 * HTTPRoute weights Kanari sets, Prometheus scrapes Traefik, and the controller judges the canary from
 * those counters (the traefik query set). A load generator of its own counts what users got:
 * a canary failing 15% of its requests is rolled back and the failed requests are reported; a healthy
 * canary is promoted and the handover to the primary loses no request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES, type KubeObject } from '../../../src/kubernetes/kit/types.js'
import { startController, type ControllerProcess } from '../support/controller.js'
import { applyObject, kube, kubectl, kubectlOk, testNamespace, waitFor } from '../support/kube.js'
import { applyRollout, rolloutManifest, routeWeights, waitForStatus } from '../support/scenario.js'
import {
  appDeployment,
  gatewayAndRoute,
  servedOnlyBy,
  startLoad,
  trafficStack,
  traefikMetric,
  type TrafficStack,
} from './stack.js'

let stack: TrafficStack
let ns: Awaited<ReturnType<typeof testNamespace>>
let controller: ControllerProcess

beforeAll(async () => {
  stack = trafficStack()
  ns = await testNamespace('traffic')
  controller = await startController({ namespace: ns.name })
})

afterAll(async () => {
  await controller.stop()
  await ns.delete()
})

/** An app of its own for each test (Deployment, HTTPRoute, Rollout), its first revision serving. */
async function release(name: string): Promise<string> {
  const host = await gatewayAndRoute(ns.name, name, stack)
  await applyObject(appDeployment(ns.name, name, { VERSION: '1', COLOR: 'blue' }, 2))
  await applyRollout(
    rolloutManifest(ns.name, name, {
      strategy: {
        canary: {
          steps: [
            { setWeight: 20 },
            { analysis: { duration: '15s' } },
            { setWeight: 50 },
            { analysis: { duration: '15s' } },
          ],
          abortScaleDownDelaySeconds: 0,
        },
      },
      analysis: {
        judge: 'sequential',
        minCanaryRequests: 20,
        metrics: [traefikMetric(stack, 'error-rate', 1)],
      },
      trafficRouting: { gatewayAPI: { httpRoute: name } },
    }),
  )
  await waitForStatus(ns.name, name, 'the first revision healthy', (s) => s.phase === 'Healthy')
  await servedOnlyBy(stack, host, '1')
  return host
}

async function setEnv(name: string, vars: Record<string, string>): Promise<void> {
  await kubectlOk([
    '-n',
    ns.name,
    'set',
    'env',
    `deployment/${name}`,
    ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
  ])
}

describe('canary releases under real traffic (Traefik, Prometheus)', () => {
  it('rolls back a canary failing 15% of requests, on Prometheus data; users saw few failures', async () => {
    const host = await release('bad')
    const load = startLoad(stack, host, { concurrency: 4, maxMs: 150_000 })
    await waitFor('load flowing', () => (load.report().ok > 50 ? true : undefined))
    const t0 = Date.now()
    await setEnv('bad', { VERSION: '2', ERROR_RATE: '15' })
    const wait = await kubectl([
      '-n',
      ns.name,
      'wait',
      '--for=condition=RolledBack',
      'rollout/bad',
      '--timeout=120s',
    ])
    const decidedMs = Date.now() - t0
    expect(wait.stdout.trim()).toBe('rollout.kanari.dev/bad condition met')
    await waitFor('all traffic back on the primary', async () => {
      const w = await routeWeights(ns.name, 'bad')
      return w['bad-primary'] === 100 ? true : undefined
    })
    await servedOnlyBy(stack, host, '1')
    const r = await load.stop()
    console.log(
      `15%-error canary: rolled back ${(decidedMs / 1000).toFixed(1)} s after kubectl set env; users: ${r.sent} requests, ${r.failed} failed, by status ${JSON.stringify(r.byStatus)}, by version ${JSON.stringify(r.byVersion)}`,
    )
    // The canary really served users, and some of them got its errors…
    expect(r.byVersion['2'] ?? 0).toBeGreaterThan(0)
    expect(r.failed).toBeGreaterThan(0)
    // …only its errors: 500s from the app, never a gateway failure (502/503/no answer).
    expect(r.failed).toBe(r.byStatus['500'] ?? 0)
    // At a 20% canary failing 15%, about 3% of users fail; far fewer than one in ten.
    expect(r.failed).toBeLessThan(r.sent * 0.1)
    // The decision came from Traefik's counters through Prometheus.
    const runs = await (
      await kube()
    ).list<
      KubeObject & {
        status?: { phase?: string; metrics?: { name: string; failed: number; errors: number }[] }
      }
    >(RESOURCES.analysisRuns, ns.name)
    const failed = runs.items.filter((run) => run.status?.phase === 'Failed')
    expect(failed.length).toBeGreaterThanOrEqual(1)
    expect(failed[0]?.status?.metrics?.find((m) => m.name === 'error-rate')).toMatchObject({
      errors: 0,
    })
  })
})
