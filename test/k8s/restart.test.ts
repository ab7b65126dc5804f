/**
 * The controller killed with SIGKILL in the middle of a step and started again: the new process
 * takes up the status where the old one left it — the same step, the same weights, nothing written
 * to the routing object on the way — and finishes the release.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES, type KubeObject } from '../../src/kubernetes/kit/types.js'
import { startController, type ControllerProcess } from './support/controller.js'
import { get, setVersion, waitFor } from './support/kube.js'
import {
  annotateCommand,
  applyRollout,
  eventReasons,
  httpRoute,
  openScenario,
  rolloutManifest,
  routeWeights,
  statusOf,
  waitForStatus,
  type Scenario,
} from './support/scenario.js'

let sc: Scenario
let second: ControllerProcess | undefined
beforeAll(async () => {
  sc = await openScenario('restart')
  await httpRoute(sc.ns, 'web')
})
afterAll(async () => {
  await second?.stop()
  await sc.close()
})

const reconciles = async (c: ControllerProcess): Promise<number> =>
  Number(/^kanari_reconciles_total (\d+)/m.exec(await c.metrics())?.[1] ?? '0')

describe('SIGKILL mid-rollout', () => {
  it('resumes at the same step with no extra weight change', async () => {
    await applyRollout(
      rolloutManifest(sc.ns, sc.name, {
        strategy: {
          canary: {
            steps: [
              { setWeight: 20 },
              { pause: { duration: '25s' } },
              { setWeight: 50 },
              { pause: {} },
            ],
          },
        },
        trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
      }),
    )
    await waitForStatus(sc.ns, sc.name, 'healthy', (s) => s.phase === 'Healthy')
    await waitFor('the primary takes the traffic', async () =>
      (await routeWeights(sc.ns, 'web'))['web-primary'] === 100 ? true : undefined,
    )
    await setVersion(sc.ns, 'web', '2')
    await waitForStatus(
      sc.ns,
      sc.name,
      'in the 25 s pause at 20%',
      (s) => s.step === 1 && s.weight === 20,
    )
    const before = await get<KubeObject>(RESOURCES.httpRoutes, sc.ns, 'web')
    const reasonsBefore = await eventReasons(sc.ns, sc.name)
    await sc.controller.kill()
    expect(await sc.controller.exited).toBeNull() // killed by a signal, no exit code

    second = await startController({ namespace: sc.ns })
    await waitFor('the new controller has reconciled the rollout', async () =>
      (await reconciles(second as ControllerProcess)) >= 1 ? true : undefined,
    )
    // still inside the pause: same step, same weight, the route untouched, no new event
    const after = await statusOf(sc.ns, sc.name)
    expect(after).toMatchObject({ step: 1, weight: 20, canary: 2, stable: 1 })
    const route = await get<KubeObject>(RESOURCES.httpRoutes, sc.ns, 'web')
    expect(route.metadata.resourceVersion).toBe(before.metadata.resourceVersion)
    expect(await eventReasons(sc.ns, sc.name)).toEqual(reasonsBefore)
    await waitForStatus(
      sc.ns,
      sc.name,
      'on to 50% after the pause',
      (s) => s.phase === 'Paused' && s.weight === 50,
    )
    expect(await routeWeights(sc.ns, 'web')).toEqual({ 'web-primary': 50, 'web-canary': 50 })
    const reasons = await eventReasons(sc.ns, sc.name)
    const release = reasons.slice(reasons.lastIndexOf('NewRevision'))
    expect(release).toEqual([
      'NewRevision',
      'TrafficShifted',
      'StepCompleted',
      'StepCompleted',
      'TrafficShifted',
      'StepCompleted',
      'Paused',
    ])
    await annotateCommand(sc.ns, sc.name, 'promote')
    await waitForStatus(sc.ns, sc.name, 'promoted', (s) => s.phase === 'Healthy' && s.stable === 2)
  })
})
