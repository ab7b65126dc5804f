/**
 * The rollout reconciler on the in-memory Kubernetes API: the behaviours the cluster suite proves
 * end to end (test/k8s), each here in milliseconds — commands by annotation, invalid specs, the
 * handover to the primary, the finalizer, revision history, target and revision discovery.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RESOURCES, type KubeObject } from '../kit/types.js'
import type { RolloutObject } from '../store/rollout-status-store.js'
import type { Deployment } from '../workloads/deployments.js'
import {
  command,
  NS,
  reconcilerFixture,
  rolloutObject,
  routeWeights,
  setVersion,
  userDeployment,
  userHttpRoute,
  type ReconcilerFixture,
} from './test-utils/reconciler-fixture.js'

let fx: ReconcilerFixture
beforeEach(async () => {
  fx = await reconcilerFixture()
})
afterEach(async () => {
  await fx.close()
})

const canary = {
  canary: {
    steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }, { pause: {} }],
    abortScaleDownDelaySeconds: 0,
  },
}
const phase = (r: RolloutObject): string | undefined => r.status?.phase
const weight = (r: RolloutObject): number | undefined => r.status?.traffic?.canaryWeight

const promotedCondition = (r: RolloutObject): string => {
  const c = (r.status?.conditions as { type: string; status: string; reason: string }[]).find(
    (x) => x.type === 'Promoted',
  )
  return `${c?.status}/${c?.reason}`
}

/** Reconciles until the target Deployment asks for `replicas`; the virtual ms that took. */
async function targetScaledTo(replicas: number, max = 20): Promise<number> {
  const start = fx.clock.now
  for (let i = 0; i < max; i++) {
    const target = await fx.api.get<Deployment>(RESOURCES.deployments, NS, 'web')
    if (target.spec.replicas === replicas) return fx.clock.now - start
    await fx.step()
  }
  throw new Error(`after ${max} reconciles the target does not ask for ${replicas} replicas`)
}

async function healthyOnRevision1(spec: Record<string, unknown> = { strategy: canary }) {
  await fx.api.create(RESOURCES.deployments, NS, userDeployment('web', '1'))
  await fx.api.create(RESOURCES.rollouts, NS, rolloutObject('web', spec))
  return fx.stepUntil('Healthy on revision 1', (r) => phase(r) === 'Healthy')
}

describe('first release', () => {
  it('takes over the target: primary on revision 1 serving, target scaled to zero', async () => {
    const r = await healthyOnRevision1()
    expect(r.status?.stableRevision).toBe(1)
    const primary = await fx.api.get<Deployment>(RESOURCES.deployments, NS, 'web-primary')
    expect(primary.spec.replicas).toBe(2)
    await targetScaledTo(0)
  })
})

describe('commands by annotation', () => {
  it('aborts, retries and promotes, recording each step in order', async () => {
    await healthyOnRevision1()
    await setVersion(fx.api, 'web', '2')
    await fx.stepUntil('paused at 20%', (r) => phase(r) === 'Paused' && weight(r) === 20)
    await command(fx.api, 'web', 'abort', '2026-01-01T00:01:00Z by ana reason=looks wrong')
    const aborted = await fx.stepUntil('rolled back', (r) => phase(r) === 'RolledBack')
    expect(weight(aborted)).toBe(0)
    expect(aborted.status?.kanari).toMatchObject({
      lastCommand: { command: 'abort', accepted: true },
    })
    await targetScaledTo(0)
    await command(fx.api, 'web', 'retry', '2026-01-01T00:02:00Z by ana')
    await fx.stepUntil('paused at 20% again', (r) => phase(r) === 'Paused' && weight(r) === 20)
    await command(fx.api, 'web', 'promote', '2026-01-01T00:03:00Z by ana')
    await fx.stepUntil('paused at 60%', (r) => phase(r) === 'Paused' && weight(r) === 60)
    await command(fx.api, 'web', 'promote', '2026-01-01T00:04:00Z by ana')
    const done = await fx.stepUntil('promoted', (r) => phase(r) === 'Healthy')
    expect(done.status?.stableRevision).toBe(2)
    const reasons = await fx.eventReasons()
    expect(reasons.slice(reasons.lastIndexOf('NewRevision'))).toEqual([
      'NewRevision',
      'TrafficShifted',
      'StepCompleted',
      'Paused',
      'Command',
      'TrafficShifted',
      'RolledBack',
      'Command',
      'TrafficShifted',
      'StepCompleted',
      'Paused',
      'Command',
      'TrafficShifted',
      'StepCompleted',
      'Paused',
      'Command',
      'Promoted',
    ])
  })

  it('refuses a command the phase does not accept: recorded, a Warning, nothing else changes', async () => {
    const before = await healthyOnRevision1()
    await command(fx.api, 'web', 'promote', '2026-01-01T00:01:00Z by ana')
    await fx.step()
    const after = await fx.rollout()
    expect(after.status?.kanari).toMatchObject({
      commands: { promote: '2026-01-01T00:01:00Z by ana' },
      lastCommand: { command: 'promote', accepted: false },
    })
    expect(
      (after.status?.kanari as { lastCommand: { message: string } }).lastCommand.message,
    ).toMatch(/cannot promote rollout web: it is Healthy/)
    expect(phase(after)).toBe('Healthy')
    expect(after.status?.stableRevision).toBe(before.status?.stableRevision)
    expect(await fx.eventReasons()).toContain('CommandRefused')
    // the same value again is not a new command
    const warnings = (await fx.eventReasons()).filter((r) => r === 'CommandRefused').length
    await fx.step()
    expect((await fx.eventReasons()).filter((r) => r === 'CommandRefused')).toHaveLength(warnings)
  })

  it('runs none of the commands already on a Rollout it sees for the first time', async () => {
    await fx.api.create(RESOURCES.deployments, NS, userDeployment('web', '1'))
    const object = rolloutObject('web', { strategy: canary })
    object.metadata.annotations = { 'kanari.dev/abort': 'long ago by someone' }
    await fx.api.create(RESOURCES.rollouts, NS, object)
    const r = await fx.stepUntil('Healthy', (x) => phase(x) === 'Healthy')
    expect(r.status?.kanari).toMatchObject({ commands: { abort: 'long ago by someone' } })
    expect((r.status?.kanari as { lastCommand?: unknown }).lastCommand).toBeUndefined()
    expect(await fx.eventReasons()).not.toContain('Command')
  })
})

describe('an invalid spec', () => {
  it('sets SpecValid False with the reason, warns once per generation, and does no work', async () => {
    await fx.api.create(RESOURCES.rollouts, NS, rolloutObject('web', { strategy: canary }))
    await fx.step()
    await fx.step()
    const r = await fx.rollout()
    const specValid = (
      r.status?.conditions as { type: string; status: string; message?: string }[]
    ).find((c) => c.type === 'SpecValid')
    expect(specValid).toMatchObject({ status: 'False' })
    expect(specValid?.message).toMatch(/Deployment shop\/web does not exist/)
    expect((await fx.eventReasons()).filter((x) => x === 'InvalidSpec')).toHaveLength(1)
    expect(await fx.api.find(RESOURCES.deployments, NS, 'web-primary')).toBeUndefined()
    expect((await fx.api.list(RESOURCES.services, NS)).items).toEqual([])
    // a new generation that is still invalid warns again
    await fx.api.patch(RESOURCES.rollouts, NS, 'web', { spec: { replicas: 3 } })
    await fx.step()
    expect((await fx.eventReasons()).filter((x) => x === 'InvalidSpec')).toHaveLength(2)
    // fixed: the Deployment appears, and the Rollout runs
    await fx.api.create(RESOURCES.deployments, NS, userDeployment('web', '1'))
    const healthy = await fx.stepUntil('Healthy', (x) => phase(x) === 'Healthy')
    expect(
      (healthy.status?.conditions as { type: string; status: string }[]).find(
        (c) => c.type === 'SpecValid',
      )?.status,
    ).toBe('True')
  })

  it('refuses a flag workload and a Deployment without matchLabels, naming the field', async () => {
    await fx.api.create(
      RESOURCES.rollouts,
      NS,
      rolloutObject('flagged', { workload: { flag: { name: 'f' } }, strategy: canary }),
    )
    const d = userDeployment('loose', '1')
    ;(d.spec as { selector: unknown }).selector = {
      matchExpressions: [{ key: 'app', operator: 'Exists' }],
    }
    await fx.api.create(RESOURCES.deployments, NS, d)
    await fx.api.create(RESOURCES.rollouts, NS, rolloutObject('loose', { strategy: canary }))
    await fx.step('flagged')
    await fx.step('loose')
    const message = async (name: string) =>
      (
        ((await fx.rollout(name)).status?.conditions ?? []) as { type: string; message?: string }[]
      ).find((c) => c.type === 'SpecValid')?.message
    expect(await message('flagged')).toMatch(
      /^spec\.workload\.flag: flag rollouts run in local mode/,
    )
    expect(await message('loose')).toMatch(/selects its pods without matchLabels/)
    expect(await fx.api.find(RESOURCES.deployments, NS, 'loose-primary')).toBeUndefined()
  })
})

describe('handing stable over to the primary', () => {
  it('keeps the target serving until the primary runs the promoted revision, then scales it down', async () => {
    await healthyOnRevision1({ strategy: { canary: { steps: [{ setWeight: 50 }] } } })
    await fx.stepUntil('the first handover done', () => true)
    fx.held.add('web-primary')
    await setVersion(fx.api, 'web', '2')
    await fx.stepUntil('promoted', (r) => phase(r) === 'Healthy' && r.status?.stableRevision === 2)
    for (let i = 0; i < 5; i++) await fx.step()
    // the primary has the new template but is not rolled out: stable stays on the target
    const handle = fx.reconciler.handles.get(`${NS}/web`)
    expect(handle?.driver.primaryServes(2)).toBe(false)
    expect(handle?.driver.stableBackend()).toBe('canary')
    // Stable, but its traffic still goes to the target: not Promoted yet (the condition follows the route).
    expect(promotedCondition(await fx.rollout())).toBe('False/HandingOver')
    expect((await fx.api.get<Deployment>(RESOURCES.deployments, NS, 'web')).spec.replicas).toBe(2)
    fx.held.delete('web-primary')
    const primary = await fx.api.get<Deployment>(RESOURCES.deployments, NS, 'web-primary')
    await fx.api.patch(
      RESOURCES.deployments,
      NS,
      'web-primary',
      {
        status: {
          observedGeneration: primary.metadata.generation,
          replicas: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
        },
      },
      'status',
    )
    // The route moves stable's share to the primary at once; the target's pods stay up for the
    // data plane to apply it (spec.service.drainSeconds, 5 s by default).
    await fx.step()
    expect(handle?.stableRouted).toBe('primary')
    expect(promotedCondition(await fx.rollout())).toBe('True/Promoted')
    expect(await targetScaledTo(0)).toBeGreaterThanOrEqual(5000)
  })
})

describe('the finalizer', () => {
  it('puts traffic back on the primary, releases what serves stable, then lets the Rollout go', async () => {
    await userHttpRoute(fx.api, 'web')
    await healthyOnRevision1({
      strategy: { canary: { steps: [{ setWeight: 30 }, { pause: {} }] } },
      trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
    })
    expect((await fx.rollout()).metadata.finalizers).toEqual(['kanari.dev/restore-traffic'])
    await setVersion(fx.api, 'web', '2')
    await fx.stepUntil('paused at 30%', (r) => phase(r) === 'Paused' && weight(r) === 30)
    expect(await routeWeights(fx.api, 'web')).toEqual({ 'web-primary': 70, 'web-canary': 30 })
    await fx.api.delete(RESOURCES.rollouts, NS, 'web')
    await fx.step()
    expect(await routeWeights(fx.api, 'web')).toEqual({ 'web-primary': 100, 'web-canary': 0 })
    expect(await fx.api.find(RESOURCES.rollouts, NS, 'web')).toBeUndefined()
    const primary = await fx.api.get<Deployment>(RESOURCES.deployments, NS, 'web-primary')
    expect(primary.metadata.ownerReferences ?? []).toEqual([])
    for (const name of ['web', 'web-primary']) {
      const svc = await fx.api.get<KubeObject>(RESOURCES.services, NS, name)
      expect(svc.metadata.ownerReferences ?? []).toEqual([])
    }
    expect(fx.reconciler.handles.has(`${NS}/web`)).toBe(false)
  })
})

describe('what the data plane sees', () => {
  const slice = (service: string, ready: string[]): KubeObject => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${service}-test`,
      namespace: NS,
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    endpoints: ready.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  })

  it('sends the canary no traffic before its Service has ready endpoints', async () => {
    await healthyOnRevision1()
    await fx.api.apply(RESOURCES.endpointSlices, NS, slice('web-canary', []), {
      fieldManager: 'test',
    })
    await setVersion(fx.api, 'web', '2')
    for (let i = 0; i < 6; i++) await fx.step()
    // The pods are Ready, but the gateway would have nowhere to send the canary's share.
    expect(weight(await fx.rollout())).toBe(0)
    await fx.api.apply(
      RESOURCES.endpointSlices,
      NS,
      slice('web-canary', ['10.244.0.7', '10.244.0.8']),
      { fieldManager: 'test' },
    )
    await fx.stepUntil('paused at 20%', (r) => phase(r) === 'Paused' && weight(r) === 20)
  })

  it('keeps the pods that lost traffic until the gateway reports the route change', async () => {
    await userHttpRoute(fx.api, 'web')
    const report = async (generation: number) =>
      fx.api.patch(
        RESOURCES.httpRoutes,
        NS,
        'web',
        {
          status: {
            parents: [
              {
                parentRef: { name: 'gateway' },
                controllerName: 'example.com/gateway',
                conditions: [{ type: 'Accepted', status: 'True', observedGeneration: generation }],
              },
            ],
          },
        },
        'status',
      )
    await report(1)
    await healthyOnRevision1({
      strategy: canary,
      trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
    })
    // The handover wrote the route; the gateway has not reported it for 20 s.
    for (let i = 0; i < 20; i++) await fx.step()
    const target = await fx.api.get<Deployment>(RESOURCES.deployments, NS, 'web')
    expect(target.spec.replicas).toBe(2)
    const route = await fx.api.get<KubeObject>(RESOURCES.httpRoutes, NS, 'web')
    await report(route.metadata.generation ?? 0)
    expect(await targetScaledTo(0, 3)).toBeLessThanOrEqual(2000)
  })
})

describe('revision history', () => {
  it('records each revision as a ControllerRevision and reverts straight to stable', async () => {
    await healthyOnRevision1()
    await setVersion(fx.api, 'web', '2')
    await fx.stepUntil('paused at 20%', (r) => phase(r) === 'Paused' && weight(r) === 20)
    await setVersion(fx.api, 'web', '3')
    const third = await fx.stepUntil(
      'revision 3 at its first step',
      (r) => r.status?.revision === 3 && phase(r) === 'Paused',
    )
    expect(third.status).toMatchObject({
      stableRevision: 1,
      canaryRevision: 3,
      currentStepIndex: 1,
    })
    const revisions = await fx.api.list<
      KubeObject & { revision?: number; data?: { hash?: string } }
    >(RESOURCES.controllerRevisions, NS, { labelSelector: 'kanari.dev/rollout=web' })
    expect(revisions.items.map((r) => [r.metadata.name, r.revision]).sort()).toEqual([
      ['web-1', 1],
      ['web-2', 2],
      ['web-3', 3],
    ])
    expect(new Set(revisions.items.map((r) => r.data?.hash)).size).toBe(3)
    expect(
      (third.status?.kanari as { revisions: { revision: number }[] }).revisions.map(
        (r) => r.revision,
      ),
    ).toEqual([1, 2, 3])
    await setVersion(fx.api, 'web', '1')
    const back = await fx.stepUntil('back on stable', (r) => phase(r) === 'Healthy')
    expect(back.status).toMatchObject({ stableRevision: 1, revision: 1 })
    const reasons = await fx.eventReasons()
    expect(
      reasons.slice(reasons.lastIndexOf('NewRevision'), reasons.lastIndexOf('Reverted')),
    ).toEqual(['NewRevision', 'TrafficShifted', 'StepCompleted', 'Paused'])
    const tail = reasons.slice(reasons.lastIndexOf('Reverted'))
    expect(tail[0]).toBe('Reverted')
    expect(tail.filter((r) => r === 'NewRevision' || r === 'StepCompleted')).toEqual([])
  })
})

describe('target and revision discovery', () => {
  it('a change of a referenced ConfigMap is a new revision; a change of replicas is not', async () => {
    await fx.api.create(RESOURCES.configMaps, NS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: NS },
      data: { GREETING: 'hello' },
    })
    const d = userDeployment('web', '1')
    const [container] = (d.spec as { template: { spec: { containers: { envFrom?: unknown }[] } } })
      .template.spec.containers
    if (container !== undefined) container.envFrom = [{ configMapRef: { name: 'web-config' } }]
    await fx.api.create(RESOURCES.deployments, NS, d)
    await fx.api.create(RESOURCES.rollouts, NS, rolloutObject('web', { strategy: canary }))
    await fx.stepUntil('Healthy', (r) => phase(r) === 'Healthy')
    await fx.api.patch(RESOURCES.deployments, NS, 'web', { spec: { replicas: 3 } })
    for (let i = 0; i < 3; i++) await fx.step()
    expect((await fx.rollout()).status?.revision).toBe(1)
    await fx.api.patch(RESOURCES.configMaps, NS, 'web-config', { data: { GREETING: 'hi' } })
    const r = await fx.stepUntil(
      'revision 2 at 20%',
      (x) => x.status?.revision === 2 && weight(x) === 20,
    )
    expect(r.status?.canaryRevision).toBe(2)
  })
})

describe('requeue', () => {
  it('looks again at the resync rate when settled or waiting for a person, sooner while moving', async () => {
    await healthyOnRevision1()
    // While the target drains after the handover, sooner than the resync: when it may go.
    expect((await fx.step())?.requeueAfterMs).toBeLessThanOrEqual(5050)
    await targetScaledTo(0)
    expect(await fx.step()).toEqual({ requeueAfterMs: 30_000 })
    await setVersion(fx.api, 'web', '2')
    await fx.stepUntil('paused at 20%', (r) => phase(r) === 'Paused')
    expect(await fx.step()).toEqual({ requeueAfterMs: 30_000 })
  })
})
