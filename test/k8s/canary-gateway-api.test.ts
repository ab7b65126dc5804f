/**
 * A canary through the Gateway API: the first revision goes to `web-primary` with no steps; a new
 * template of the user's Deployment is rolled out 5 → 25 → 50 → 100, with the HTTPRoute's weights
 * read back at every step, and `kubectl wait --for=condition=Promoted` returns once it is promoted:
 * the primary then runs the new template, takes all traffic, and the target is scaled to zero.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES, type KubeObject } from '../../src/kubernetes/kit/types.js'
import { get, kubectl, kubectlOk, setVersion } from './support/kube.js'
import {
  annotateCommand,
  applyRollout,
  deploymentOf,
  eventReasons,
  httpRoute,
  openScenario,
  readyReplicas,
  rolloutManifest,
  routeWeights,
  versionOf,
  waitForStatus,
  type Scenario,
} from './support/scenario.js'
import { waitFor } from './support/kube.js'

let sc: Scenario
beforeAll(async () => {
  sc = await openScenario('gw')
  await httpRoute(sc.ns, 'web')
})
afterAll(async () => {
  await sc.close()
})

describe('canary with Gateway API HTTPRoute weights', () => {
  it('deploys the first revision to the primary without steps, then hands traffic to it', async () => {
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
        trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
      }),
    )
    const wait = await kubectl([
      '-n',
      sc.ns,
      'wait',
      '--for=condition=Promoted',
      'rollout/web',
      '--timeout=90s',
    ])
    expect(wait.stderr).toBe('')
    expect(wait.stdout.trim()).toBe('rollout.kanari.dev/web condition met')
    await waitFor('primary serves and the target is scaled to zero', async () => {
      const target = await deploymentOf(sc.ns, 'web')
      const weights = await routeWeights(sc.ns, 'web')
      return (await readyReplicas(sc.ns, 'web-primary')) === 2 &&
        target?.spec.replicas === 0 &&
        weights['web-primary'] === 100
        ? true
        : undefined
    })
    expect(await routeWeights(sc.ns, 'web')).toEqual({ 'web-primary': 100, 'web-canary': 0 })
    expect(versionOf(await deploymentOf(sc.ns, 'web-primary'))).toBe('1')
  })

  it('rolls a new template out 5 → 25 → 50 → 100 with the route weights at every step', async () => {
    await setVersion(sc.ns, 'web', '2')
    const seen: Record<string, number>[] = []
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
      // The status is saved before the route is written (so a restart resumes from it): the
      // route follows within a request. Read it until its canary weight is the step's.
      const weights = await waitFor(`the route at ${weight}%`, async () => {
        const w = await routeWeights(sc.ns, 'web')
        return w['web-canary'] === weight ? w : undefined
      })
      seen.push(weights)
      expect(weights).toEqual({ 'web-primary': 100 - weight, 'web-canary': weight })
      // the canary runs the new template at full size; the primary still runs the old one
      expect(versionOf(await deploymentOf(sc.ns, 'web'))).toBe('2')
      expect(await readyReplicas(sc.ns, 'web')).toBe(2)
      expect(versionOf(await deploymentOf(sc.ns, 'web-primary'))).toBe('1')
      await annotateCommand(sc.ns, sc.name, 'promote')
    }
    const promoted = await kubectl([
      '-n',
      sc.ns,
      'wait',
      '--for=condition=Promoted',
      'rollout/web',
      '--timeout=90s',
    ])
    expect(promoted.stdout.trim()).toBe('rollout.kanari.dev/web condition met')
    await waitFor(
      'the primary runs revision 2 and takes all traffic; the target is at zero',
      async () => {
        const weights = await routeWeights(sc.ns, 'web')
        const primary = await deploymentOf(sc.ns, 'web-primary')
        const target = await deploymentOf(sc.ns, 'web')
        return weights['web-primary'] === 100 &&
          versionOf(primary) === '2' &&
          primary?.status?.readyReplicas === 2 &&
          target?.spec.replicas === 0
          ? true
          : undefined
      },
    )
    expect(seen).toEqual([
      { 'web-primary': 95, 'web-canary': 5 },
      { 'web-primary': 75, 'web-canary': 25 },
      { 'web-primary': 50, 'web-canary': 50 },
    ])
    expect(await routeWeights(sc.ns, 'web')).toEqual({ 'web-primary': 100, 'web-canary': 0 })
    const reasons = await eventReasons(sc.ns, sc.name)
    const release = reasons.slice(reasons.lastIndexOf('NewRevision'))
    expect(release.filter((r) => r === 'TrafficShifted')).toHaveLength(3)
    expect(release.at(-1)).toBe('Promoted')
    const table = await kubectlOk(['-n', sc.ns, 'get', 'rollout', 'web'])
    expect(table).toMatch(/web\s+Healthy\s+/)
    // One field manager, by server-side apply: Kanari owns the route's rules and nothing else of the
    // user's route; the primary it made is Kanari's alone (its status is the Deployment controller's).
    type Managed = KubeObject & {
      metadata: {
        managedFields?: {
          manager: string
          operation: string
          subresource?: string
          fieldsV1?: { 'f:spec'?: Record<string, unknown> }
        }[]
      }
    }
    const route = await get<Managed>(RESOURCES.httpRoutes, sc.ns, 'web')
    const owners = (field: string) =>
      (route.metadata.managedFields ?? [])
        .filter((m) => m.fieldsV1?.['f:spec']?.[field] !== undefined)
        .map((m) => `${m.manager}/${m.operation}`)
    expect(owners('f:rules')).toEqual(['kanari/Apply'])
    expect(owners('f:hostnames')).toEqual(['user/Apply'])
    const primary = await get<Managed>(RESOURCES.deployments, sc.ns, 'web-primary')
    expect([
      ...new Set(
        (primary.metadata.managedFields ?? [])
          .filter((m) => m.subresource !== 'status')
          .map((m) => `${m.manager}/${m.operation}`),
      ),
    ]).toEqual(['kanari/Apply'])
  })
})
