/**
 * The controller killed with SIGKILL in the middle of a step and started again: the new process
 * takes up the status where the old one left it — the same step, the same weights, nothing written
 * to the routing object or the status on the way — and finishes the release.
 *
 * The rollout waits at a pause with no duration while the controller is down, so what the new
 * process finds does not depend on how long it takes to start: a timed pause keeps counting from
 * the saved step start while no controller runs (as it should), and on a loaded machine it could
 * end before the new process looks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES, type KubeObject } from '../../src/kubernetes/kit/types.js'
import { startController, type ControllerProcess } from './support/controller.js'
import { get, rollout, setVersion, waitFor } from './support/kube.js'
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
            steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }],
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
      'paused at step 2 with 20%',
      (s) => s.phase === 'Paused' && s.pause === 'PauseStep' && s.step === 1 && s.weight === 20,
    )
    // The status is saved before the route is written: the kill comes once the route follows it,
    // so anything the new process writes to the route would be a change of its own.
    await waitFor('the route at 20%', async () => {
      const w = await routeWeights(sc.ns, 'web')
      return w['web-canary'] === 20 && w['web-primary'] === 80 ? true : undefined
    })
    await sc.controller.kill()
    expect(await sc.controller.exited).toBeNull() // killed by a signal, no exit code
    // what the killed process left behind (nothing writes them while no controller runs)
    const before = await get<KubeObject>(RESOURCES.httpRoutes, sc.ns, 'web')
    const statusBefore = (await rollout(sc.ns, sc.name)).status

    second = await startController({ namespace: sc.ns })
    await waitFor('the new controller has reconciled the rollout', async () =>
      (await reconciles(second as ControllerProcess)) >= 1 ? true : undefined,
    )
    // same step, same weight, the route untouched, the status (events included) not rewritten
    const after = await statusOf(sc.ns, sc.name)
    expect(after).toMatchObject({
      phase: 'Paused',
      pause: 'PauseStep',
      step: 1,
      weight: 20,
      canary: 2,
      stable: 1,
    })
    const route = await get<KubeObject>(RESOURCES.httpRoutes, sc.ns, 'web')
    expect(route.metadata.resourceVersion).toBe(before.metadata.resourceVersion)
    expect((await rollout(sc.ns, sc.name)).status).toEqual(statusBefore)

    // the new process carries the release on: promoted past the pause, to 50%, then to the end
    await annotateCommand(sc.ns, sc.name, 'promote')
    await waitForStatus(
      sc.ns,
      sc.name,
      'paused at step 4 with 50%',
      (s) => s.phase === 'Paused' && s.step === 3 && s.weight === 50,
    )
    await waitFor('the route at 50%', async () => {
      const w = await routeWeights(sc.ns, 'web')
      return w['web-canary'] === 50 ? w : undefined
    })
    expect(await routeWeights(sc.ns, 'web')).toEqual({ 'web-primary': 50, 'web-canary': 50 })
    const reasons = await eventReasons(sc.ns, sc.name)
    const release = reasons.slice(reasons.lastIndexOf('NewRevision'))
    expect(release).toEqual([
      'NewRevision',
      'TrafficShifted',
      'StepCompleted',
      'Paused',
      'Command',
      'TrafficShifted',
      'StepCompleted',
      'Paused',
    ])
    await annotateCommand(sc.ns, sc.name, 'promote')
    await waitForStatus(sc.ns, sc.name, 'promoted', (s) => s.phase === 'Healthy' && s.stable === 2)
  })
})
