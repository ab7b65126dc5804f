/**
 * A release frozen by a failed analysis on the in-memory Kubernetes API: the HTTPRoute keeps its
 * weights, the status shows the Frozen condition with what to do, and the abort annotation ends it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RESOURCES } from '../kit/types.js'
import type { RolloutObject } from '../store/rollout-status-store.js'
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
let errorRate = 0.1
beforeEach(async () => {
  errorRate = 0.1
  fx = await reconcilerFixture({ metrics: () => ({ value: errorRate }) })
})
afterEach(async () => {
  await fx.close()
})

const phase = (r: RolloutObject): string | undefined => r.status?.phase
const weight = (r: RolloutObject): number | undefined => r.status?.traffic?.canaryWeight
const conditions = (r: RolloutObject) =>
  Object.fromEntries(
    (
      (
        r.status as {
          conditions?: { type: string; status: string; reason?: string; message?: string }[]
        }
      ).conditions ?? []
    ).map((c) => [c.type, c]),
  )

describe('a frozen release on Kubernetes', () => {
  it('keeps the route weights, shows Frozen in its conditions, and rolls back on abort', async () => {
    await userHttpRoute(fx.api, 'web')
    await fx.api.create(RESOURCES.deployments, NS, userDeployment('web', '1'))
    await fx.api.create(
      RESOURCES.rollouts,
      NS,
      rolloutObject('web', {
        strategy: {
          canary: {
            steps: [{ setWeight: 30 }, { analysis: { duration: '10s' } }, { setWeight: 60 }],
            abortScaleDownDelaySeconds: 0,
          },
        },
        trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
        onAnalysisFailure: 'freeze',
        analysis: {
          interval: '5s',
          metrics: [
            {
              name: 'errors',
              provider: { prometheus: { address: 'http://127.0.0.1:9090', query: 'errors' } },
              thresholdRange: { max: 1 },
            },
          ],
        },
      }),
    )
    await fx.stepUntil('Healthy on revision 1', (r) => phase(r) === 'Healthy')
    await setVersion(fx.api, 'web', '2')
    await fx.stepUntil('at 30%', (r) => weight(r) === 30)
    errorRate = 7
    const frozen = await fx.stepUntil('frozen', (r) => phase(r) === 'Paused')
    expect(conditions(frozen)).toMatchObject({
      Frozen: { status: 'True', reason: 'AnalysisFailed' },
      Paused: { status: 'True', reason: 'Frozen' },
      Progressing: { status: 'True', reason: 'Frozen' },
      RolledBack: { status: 'False' },
    })
    expect(conditions(frozen).Frozen?.message).toMatch(
      /^frozen at 30%: analysis failed .*`kanari abort web` rolls back, `kanari promote web` promotes, `kanari retry web` runs the analysis again$/,
    )
    for (let i = 0; i < 30; i++) await fx.step('web', 10_000)
    const held = await fx.rollout()
    expect(phase(held)).toBe('Paused')
    expect(weight(held)).toBe(30)
    expect(await routeWeights(fx.api, 'web')).toEqual({ 'web-primary': 70, 'web-canary': 30 })
    expect((await fx.eventReasons()).filter((r) => r === 'RolledBack')).toEqual([])

    await command(fx.api, 'web', 'abort', '2026-01-01T01:00:00Z by ana')
    const aborted = await fx.stepUntil('rolled back', (r) => phase(r) === 'RolledBack')
    expect(conditions(aborted)).toMatchObject({
      Frozen: { status: 'False', reason: 'NotFrozen' },
      RolledBack: { status: 'True', reason: 'UserAbort' },
    })
    expect(await routeWeights(fx.api, 'web')).toEqual({ 'web-primary': 100, 'web-canary': 0 })
  })
})
