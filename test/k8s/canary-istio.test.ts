/**
 * A canary through Istio: the VirtualService's weighted route moves 5 → 25 → 50 → 100 between the
 * primary and canary hosts, read back at every step; Kanari keeps a DestinationRule per host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES } from '../../src/kubernetes/kit/types.js'
import { kube, kubectl, setVersion, waitFor } from './support/kube.js'
import {
  annotateCommand,
  applyRollout,
  deploymentOf,
  openScenario,
  rolloutManifest,
  versionOf,
  virtualService,
  virtualServiceWeights,
  waitForStatus,
  type Scenario,
} from './support/scenario.js'

let sc: Scenario
beforeAll(async () => {
  sc = await openScenario('istio')
  await virtualService(sc.ns, 'web')
})
afterAll(async () => {
  await sc.close()
})

describe('canary with Istio VirtualService weights', () => {
  it('rolls a new template out 5 → 25 → 50 → 100 with the VirtualService weights at every step', async () => {
    await applyRollout(
      rolloutManifest(sc.ns, sc.name, {
        strategy: {
          canary: {
            steps: [
              { setWeight: 5 },
              { pause: {} },
              { setWeight: 25 },
              { pause: {} },
              { setWeight: 50 },
              { pause: {} },
            ],
          },
        },
        trafficRouting: { istio: { virtualService: { name: 'web' } } },
      }),
    )
    await waitFor('the primary takes all traffic', async () => {
      const w = await virtualServiceWeights(sc.ns, 'web')
      return w['web-primary'] === 100 ? w : undefined
    })
    const c = await kube()
    for (const host of ['web-primary', 'web-canary']) {
      const dr = await c.get<{ metadata: { name: string }; spec: { host: string } }>(
        RESOURCES.destinationRules,
        sc.ns,
        host,
      )
      expect(dr.spec.host).toBe(host)
    }
    await setVersion(sc.ns, 'web', '2')
    for (const [step, weight] of [
      [1, 5],
      [3, 25],
      [5, 50],
    ] as const) {
      await waitForStatus(
        sc.ns,
        sc.name,
        `paused at step ${step + 1} with ${weight}%`,
        (s) => s.phase === 'Paused' && s.step === step && s.weight === weight,
      )
      expect(await virtualServiceWeights(sc.ns, 'web')).toEqual({
        'web-primary': 100 - weight,
        'web-canary': weight,
      })
      await annotateCommand(sc.ns, sc.name, 'promote')
    }
    const wait = await kubectl([
      '-n',
      sc.ns,
      'wait',
      '--for=condition=Promoted',
      'rollout/web',
      '--timeout=90s',
    ])
    expect(wait.stdout.trim()).toBe('rollout.kanari.dev/web condition met')
    await waitFor('the primary runs revision 2 with all traffic', async () => {
      const w = await virtualServiceWeights(sc.ns, 'web')
      const primary = await deploymentOf(sc.ns, 'web-primary')
      return w['web-primary'] === 100 && versionOf(primary) === '2' ? true : undefined
    })
    expect(await virtualServiceWeights(sc.ns, 'web')).toEqual({
      'web-primary': 100,
      'web-canary': 0,
    })
  })
})
