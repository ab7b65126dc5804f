/**
 * Revisions of the user's Deployment: a new template in the middle of a rollout restarts the steps
 * for it (the old canary dropped), and going back to the stable template drops the canary at once —
 * no steps, no analysis (the background analysis of each release is measured by a real Prometheus)
 * — with all traffic on the primary and the target scaled to zero.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES } from '../../src/kubernetes/kit/types.js'
import { kube, setVersion, waitFor } from './support/kube.js'
import { errorRatioMetric, startIstioTraffic, type IstioTraffic } from './support/istio-metrics.js'
import {
  annotateCommand,
  applyRollout,
  deploymentOf,
  eventReasons,
  httpRoute,
  openScenario,
  rolloutManifest,
  routeWeights,
  versionOf,
  waitForStatus,
  weightsWhenCanaryAt,
  type Scenario,
} from './support/scenario.js'

let sc: Scenario
let traffic: IstioTraffic
beforeAll(async () => {
  traffic = await startIstioTraffic()
  sc = await openScenario('revisions')
  traffic.serve(sc.ns, 'web', 'healthy')
  traffic.serve(sc.ns, 'web-primary', 'healthy')
  await httpRoute(sc.ns, 'web')
  const { count: _count, ...background } = errorRatioMetric(traffic.prometheus.url)
  await applyRollout(
    rolloutManifest(sc.ns, sc.name, {
      strategy: {
        canary: {
          steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }],
          abortScaleDownDelaySeconds: 0,
        },
      },
      // background analysis across every release's steps
      analysis: { judge: 'limit', metrics: [background] },
      trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
    }),
  )
  await waitForStatus(sc.ns, sc.name, 'healthy on revision 1', (s) => s.phase === 'Healthy')
})
afterAll(async () => {
  await sc.close()
  await traffic.stop()
})

describe('revisions of the target', () => {
  it('restarts the steps for a new template that arrives mid-rollout', async () => {
    await setVersion(sc.ns, 'web', '2')
    await waitForStatus(
      sc.ns,
      sc.name,
      'revision 2 at 20%',
      (s) => s.phase === 'Paused' && s.canary === 2,
    )
    await annotateCommand(sc.ns, sc.name, 'promote')
    await waitForStatus(
      sc.ns,
      sc.name,
      'revision 2 at 50%',
      (s) => s.phase === 'Paused' && s.weight === 50,
    )
    await setVersion(sc.ns, 'web', '3')
    const s = await waitForStatus(
      sc.ns,
      sc.name,
      'revision 3 from the first step',
      (st) => st.phase === 'Paused' && st.canary === 3 && st.weight === 20,
    )
    expect(s).toMatchObject({ revision: 3, stable: 1, canary: 3, step: 1, weight: 20 })
    expect(await weightsWhenCanaryAt(() => routeWeights(sc.ns, 'web'), 'web-canary', 20)).toEqual({
      'web-primary': 80,
      'web-canary': 20,
    })
    expect(versionOf(await deploymentOf(sc.ns, 'web'))).toBe('3')
    expect(versionOf(await deploymentOf(sc.ns, 'web-primary'))).toBe('1')
    const reasons = await eventReasons(sc.ns, sc.name)
    // the release's background analysis starts in the same tick, just before NewRevision
    const third = reasons.slice(reasons.lastIndexOf('NewRevision') - 1)
    expect(third).toEqual([
      'AnalysisStarted',
      'NewRevision',
      'TrafficShifted',
      'StepCompleted',
      'Paused',
    ])
  })

  it('goes straight back to stable when the target gets the stable template again', async () => {
    await setVersion(sc.ns, 'web', '1')
    await waitForStatus(
      sc.ns,
      sc.name,
      'reverted to revision 1',
      (s) => s.phase === 'Healthy' && s.revision === 1 && s.canary === null,
    )
    await waitFor('all traffic on the primary and the target at zero', async () => {
      const w = await routeWeights(sc.ns, 'web')
      const target = await deploymentOf(sc.ns, 'web')
      return w['web-primary'] === 100 && target?.spec.replicas === 0 ? true : undefined
    })
    const reasons = await eventReasons(sc.ns, sc.name)
    const tail = reasons.slice(reasons.lastIndexOf('Reverted'))
    expect(tail[0]).toBe('Reverted')
    expect(tail.filter((r) => r.startsWith('Analysis'))).toEqual([])
    expect(tail.filter((r) => r === 'NewRevision' || r === 'StepCompleted')).toEqual([])
    // Each release had its background run; the revert started none.
    const started = reasons.filter((r) => r === 'AnalysisStarted').length
    expect(started).toBe(2)
    const runs = await (await kube()).list(RESOURCES.analysisRuns, sc.ns)
    expect(runs.items).toHaveLength(2)
  })
})
