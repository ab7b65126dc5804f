/**
 * A Rollout deleted in the middle of a release: its finalizer puts all traffic back on stable (the
 * primary) before the Rollout goes, and leaves the primary and its Services serving — released from
 * the Rollout so the garbage collector does not take them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES, type KubeObject } from '../../src/kubernetes/kit/types.js'
import { kube, kubectlOk, setVersion, waitFor } from './support/kube.js'
import {
  applyRollout,
  deploymentOf,
  httpRoute,
  openScenario,
  rolloutManifest,
  routeWeights,
  waitForStatus,
  weightsWhenCanaryAt,
  type Scenario,
} from './support/scenario.js'

let sc: Scenario
beforeAll(async () => {
  sc = await openScenario('finalizer')
  await httpRoute(sc.ns, 'web')
})
afterAll(async () => {
  await sc.close()
})

describe('deleting a Rollout mid-way', () => {
  it('puts traffic back on the primary and leaves it serving', async () => {
    await applyRollout(
      rolloutManifest(sc.ns, sc.name, {
        strategy: { canary: { steps: [{ setWeight: 30 }, { pause: {} }] } },
        trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
      }),
    )
    await waitForStatus(sc.ns, sc.name, 'healthy', (s) => s.phase === 'Healthy')
    await setVersion(sc.ns, 'web', '2')
    await waitForStatus(
      sc.ns,
      sc.name,
      'paused at 30%',
      (s) => s.phase === 'Paused' && s.weight === 30,
    )
    expect(await weightsWhenCanaryAt(() => routeWeights(sc.ns, 'web'), 'web-canary', 30)).toEqual({
      'web-primary': 70,
      'web-canary': 30,
    })
    await kubectlOk(['-n', sc.ns, 'delete', 'rollout', 'web', '--wait=true', '--timeout=60s'])
    expect(await routeWeights(sc.ns, 'web')).toEqual({ 'web-primary': 100, 'web-canary': 0 })
    const c = await kube()
    // the garbage collector has had its chance: what serves stable is still there, owned by no one
    await new Promise((r) => setTimeout(r, 3000))
    const primary = await deploymentOf(sc.ns, 'web-primary')
    expect(primary?.metadata.ownerReferences ?? []).toEqual([])
    expect(primary?.status?.readyReplicas).toBe(2)
    for (const name of ['web', 'web-primary']) {
      const svc = await c.get<KubeObject>(RESOURCES.services, sc.ns, name)
      expect(svc.metadata.ownerReferences ?? []).toEqual([])
    }
    await waitFor('the Rollout to be gone', async () =>
      (await c.find(RESOURCES.rollouts, sc.ns, 'web')) === undefined ? true : undefined,
    )
  })
})
