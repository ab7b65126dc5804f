/**
 * Canary releases carrying real requests: demo-app pods run as processes, Traefik routes by the
 * HTTPRoute weights Kanari sets, Prometheus scrapes Traefik, and the controller judges the canary from
 * those counters (the traefik query set). A load generator of its own counts what users got:
 * a canary failing 15% of its requests is rolled back and the failed requests are reported; a healthy
 * canary is promoted and the handover to the primary loses no request.
 */
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
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

/**
 * 5xx answers in Traefik's access log for a host, by status, backend Service and upstream address:
 * where each failure came from, printed beside the users' figures.
 */
function gateway5xx(host: string): Record<string, number> {
  const file = join(process.env.KANARI_K8S_DIR ?? '', 'logs', 'traefik-access.log')
  const out: Record<string, number> = {}
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return { [`no access log at ${file}`]: 1 }
  }
  for (const line of text.split('\n')) {
    if (line === '') continue
    const e = JSON.parse(line) as {
      RequestHost?: string
      DownstreamStatus?: number
      OriginStatus?: number
      ServiceName?: string
      ServiceAddr?: string
    }
    const status = Number(e.DownstreamStatus)
    if (e.RequestHost !== host || status < 500) continue
    const key = `${status} (upstream ${e.OriginStatus ?? 0}) ${e.ServiceName ?? '-'} ${e.ServiceAddr ?? '-'}`
    out[key] = (out[key] ?? 0) + 1
  }
  return out
}

function listening(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port, timeout: 500 })
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => (socket.destroy(), resolve(false)))
  })
}

/**
 * Waits until the user's Deployment (the target) has no pod left and the processes of the pods it
 * had stopped listening: the data plane can no longer reach them.
 */
async function targetGone(name: string): Promise<void> {
  const podIps = async (): Promise<string[]> =>
    (
      await kubectlOk([
        ...['-n', ns.name, 'get', 'pods', '-l', `app=${name}`],
        ...['-o', 'jsonpath={.items[*].status.podIP}'],
      ])
    )
      .split(' ')
      .filter((ip) => ip !== '')
  const ips = await podIps()
  await waitFor(
    `the pods of deployment/${name} gone and their processes stopped`,
    async () => {
      if ((await podIps()).length > 0) return undefined
      for (const ip of ips) if (await listening(ip, 8080)) return undefined
      return true
    },
    60_000,
  )
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
    // kubectl wait must not see the first revision's conditions: wait until the release began.
    await waitForStatus(ns.name, 'bad', 'revision 2 released', (st) => st.revision === 2)
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
    await targetGone('bad')
    const r = await load.stop()
    console.log(
      `15%-error canary: rolled back ${(decidedMs / 1000).toFixed(1)} s after kubectl set env; users: ${r.sent} requests, ${r.failed} failed, by status ${JSON.stringify(r.byStatus)}, by version ${JSON.stringify(r.byVersion)}; gateway 5xx by backend ${JSON.stringify(gateway5xx(host))}`,
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

  it('promotes a healthy canary and loses no request at the handover', async () => {
    const host = await release('good')
    const load = startLoad(stack, host, { concurrency: 4, maxMs: 170_000 })
    await waitFor('load flowing', () => (load.report().ok > 50 ? true : undefined))
    const t0 = Date.now()
    await setEnv('good', { VERSION: '2' })
    // kubectl wait must not see the first revision's conditions: wait until the release began.
    await waitForStatus(ns.name, 'good', 'revision 2 released', (st) => st.revision === 2)
    const wait = await kubectl([
      '-n',
      ns.name,
      'wait',
      '--for=condition=Promoted',
      'rollout/good',
      '--timeout=150s',
    ])
    const decidedMs = Date.now() - t0
    expect(wait.stdout.trim()).toBe('rollout.kanari.dev/good condition met')
    // The condition follows the route: when Promoted is seen, the primary already has everything.
    expect(await routeWeights(ns.name, 'good')).toMatchObject({ 'good-primary': 100 })
    await servedOnlyBy(stack, host, '2')
    // Requests go on past the handover until the target's processes (the canary's) are gone.
    await targetGone('good')
    const r = await load.stop()
    console.log(
      `healthy canary: promoted ${(decidedMs / 1000).toFixed(1)} s after kubectl set env; users: ${r.sent} requests, ${r.failed} failed, by status ${JSON.stringify(r.byStatus)}, by version ${JSON.stringify(r.byVersion)}; gateway 5xx by backend ${JSON.stringify(gateway5xx(host))}`,
    )
    expect(r.byVersion['2'] ?? 0).toBeGreaterThan(0)
    expect(r.byStatus).toEqual({ '200': r.sent })
    expect(r.failed).toBe(0)
  })
})
