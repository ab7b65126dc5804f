/**
 * A new template whose pods never become ready (they fit no node, so the scheduler leaves them
 * Pending) is rolled back once its step has waited `progressDeadlineSeconds`: a
 * ProgressDeadlineExceeded event names the deadline, no traffic ever reaches the canary, and the
 * canary is scaled to zero while the primary goes on serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { patchDeployment, rollout, waitFor } from './support/kube.js'
import {
  applyRollout,
  deploymentOf,
  eventReasons,
  httpRoute,
  openScenario,
  readyReplicas,
  rolloutManifest,
  routeWeights,
  waitForStatus,
  type Scenario,
} from './support/scenario.js'

let sc: Scenario
beforeAll(async () => {
  sc = await openScenario('deadline')
  await httpRoute(sc.ns, 'web')
  await applyRollout(
    rolloutManifest(sc.ns, sc.name, {
      progressDeadlineSeconds: 8,
      strategy: {
        canary: { steps: [{ setWeight: 20 }, { pause: {} }], abortScaleDownDelaySeconds: 0 },
      },
      trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
    }),
  )
  await waitForStatus(sc.ns, sc.name, 'healthy', (s) => s.phase === 'Healthy')
})
afterAll(async () => {
  await sc.close()
})

describe('progress deadline', () => {
  it('rolls back a canary whose pods never become ready, with no traffic sent to it', async () => {
    const started = Date.now()
    await patchDeployment(sc.ns, 'web', 'merge', {
      spec: { template: { spec: { nodeSelector: { 'kanari.dev/test-no-such-node': 'yes' } } } },
    })
    const seenWeights: number[] = []
    await waitForStatus(
      sc.ns,
      sc.name,
      'rolled back at its progress deadline',
      (s) => {
        seenWeights.push(s.weight)
        return s.phase === 'RolledBack'
      },
      90_000,
    )
    // not before the deadline
    expect(Date.now() - started).toBeGreaterThanOrEqual(8_000)
    expect(seenWeights.every((w) => w === 0)).toBe(true)
    const reasons = await eventReasons(sc.ns, sc.name)
    const release = reasons.slice(reasons.lastIndexOf('NewRevision'))
    expect(release).toContain('ProgressDeadlineExceeded')
    expect(release).not.toContain('TrafficShifted')
    expect(release.at(-1)).toBe('RolledBack')
    const status = (await rollout(sc.ns, sc.name)).status as
      | {
          abort?: { cause?: string }
          events?: { reason: string; deadlineSeconds?: number; rollingBack?: boolean }[]
        }
      | undefined
    expect(status?.abort?.cause).toBe('ProgressDeadline')
    expect(status?.events?.findLast((e) => e.reason === 'ProgressDeadlineExceeded')).toMatchObject({
      deadlineSeconds: 8,
      rollingBack: true,
    })
    await waitFor('the canary at zero and all traffic on the primary', async () => {
      const target = await deploymentOf(sc.ns, 'web')
      const w = await routeWeights(sc.ns, 'web')
      return target?.spec.replicas === 0 && w['web-primary'] === 100 && w['web-canary'] === 0
        ? true
        : undefined
    })
    expect(await readyReplicas(sc.ns, 'web-primary')).toBe(2)
  }, 150_000)
})
