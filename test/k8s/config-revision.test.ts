/**
 * A revision is the template together with the data of the ConfigMaps and Secrets it references:
 * changing only a ConfigMap's data starts a new canary, while the primary keeps running the stable
 * data from its own copy (`<name>-primary`) until the new revision is promoted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES, type KubeObject } from '../../src/kubernetes/kit/types.js'
import { applyObject, get, patchDeployment, waitFor } from './support/kube.js'
import {
  annotateCommand,
  applyRollout,
  deploymentOf,
  eventReasons,
  httpRoute,
  openScenario,
  rolloutManifest,
  routeWeights,
  waitForStatus,
  type Scenario,
} from './support/scenario.js'

type ConfigMap = KubeObject & { data?: Record<string, string> }

function config(ns: string, greeting: string): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web-config', namespace: ns },
    data: { GREETING: greeting },
  }
}

const primaryConfig = async (ns: string) =>
  (await get<ConfigMap>(RESOURCES.configMaps, ns, 'web-config-primary')).data?.GREETING

let sc: Scenario
beforeAll(async () => {
  // resync every 2 s: a ConfigMap's change is found at the next look at the rollout
  sc = await openScenario('config', { controller: { extra: ['--resync', '2'] } })
  await applyObject(config(sc.ns, 'hello'))
  await patchDeployment(sc.ns, 'web', 'json', [
    {
      op: 'add',
      path: '/spec/template/spec/containers/0/envFrom',
      value: [{ configMapRef: { name: 'web-config' } }],
    },
  ])
  await httpRoute(sc.ns, 'web')
  await applyRollout(
    rolloutManifest(sc.ns, sc.name, {
      strategy: {
        canary: { steps: [{ setWeight: 20 }, { pause: {} }], abortScaleDownDelaySeconds: 0 },
      },
      trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
    }),
  )
  await waitForStatus(sc.ns, sc.name, 'healthy', (s) => s.phase === 'Healthy' && s.stable === 1)
})
afterAll(async () => {
  await sc.close()
})

describe('ConfigMap data as part of a revision', () => {
  it('starts a canary when only the data changes, and hands the data to the primary at promotion', async () => {
    // the primary reads its own copy of the stable data
    const primary = await deploymentOf(sc.ns, 'web-primary')
    expect(JSON.stringify(primary?.spec.template)).toContain('"web-config-primary"')
    await waitFor('the primary copy of the ConfigMap', async () =>
      (await primaryConfig(sc.ns)) === 'hello' ? true : undefined,
    )

    await applyObject(config(sc.ns, 'bonjour'))
    await waitForStatus(
      sc.ns,
      sc.name,
      'a new revision from the ConfigMap change, paused at 20%',
      (s) => s.phase === 'Paused' && s.canary === 2 && s.weight === 20,
    )
    const weights = await waitFor('the route at 20%', async () => {
      const w = await routeWeights(sc.ns, 'web')
      return w['web-canary'] === 20 ? w : undefined
    })
    expect(weights).toEqual({ 'web-primary': 80, 'web-canary': 20 })
    // stable is untouched: its copy still has the old data
    expect(await primaryConfig(sc.ns)).toBe('hello')

    await annotateCommand(sc.ns, sc.name, 'promote')
    await waitForStatus(sc.ns, sc.name, 'promoted', (s) => s.phase === 'Healthy' && s.stable === 2)
    await waitFor('the primary copy updated to the promoted data', async () =>
      (await primaryConfig(sc.ns)) === 'bonjour' ? true : undefined,
    )
    const reasons = await eventReasons(sc.ns, sc.name)
    const release = reasons.slice(reasons.lastIndexOf('NewRevision'))
    expect(release).toContain('TrafficShifted')
    expect(release.at(-1)).toBe('Promoted')
  }, 150_000)
})
