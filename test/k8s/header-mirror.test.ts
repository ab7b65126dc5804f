/**
 * A/B routing and a dark launch driven end to end by the controller through the Gateway API: a
 * `setHeaderRoute` step sends requests with `x-beta: 1` to the canary, a `setMirrorRoute` step copies
 * half of the rest to it, each as its step comes (and only once the canary's pods are ready); at
 * promotion both are removed and the route is back to one weighted rule on the primary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES, type KubeObject } from '../../src/kubernetes/kit/types.js'
import { get, setVersion, waitFor } from './support/kube.js'
import {
  annotateCommand,
  applyRollout,
  eventReasons,
  httpRoute,
  openScenario,
  rolloutManifest,
  waitForStatus,
  type Scenario,
} from './support/scenario.js'

interface Rule {
  name?: string
  matches?: { headers?: { name: string; value: string; type?: string }[] }[]
  backendRefs?: { name: string; weight?: number }[]
  filters?: { type: string; requestMirror?: { backendRef: { name: string }; percent?: number } }[]
}

async function rules(ns: string): Promise<Rule[]> {
  return (
    (await get<KubeObject & { spec: { rules?: Rule[] } }>(RESOURCES.httpRoutes, ns, 'web')).spec
      .rules ?? []
  )
}

const summary = (rs: Rule[]) =>
  rs.map((r) => ({
    name: r.name,
    headers: (r.matches ?? []).flatMap((m) => (m.headers ?? []).map((h) => `${h.name}=${h.value}`)),
    backends: (r.backendRefs ?? []).map((b) => `${b.name}:${b.weight ?? '-'}`),
    mirror: (r.filters ?? [])
      .filter((f) => f.type === 'RequestMirror')
      .map((f) => `${f.requestMirror?.backendRef.name}@${f.requestMirror?.percent}`),
  }))

let sc: Scenario
beforeAll(async () => {
  sc = await openScenario('abtest')
  await httpRoute(sc.ns, 'web')
  await applyRollout(
    rolloutManifest(sc.ns, sc.name, {
      strategy: {
        canary: {
          steps: [
            { setWeight: 10 },
            {
              setHeaderRoute: {
                name: 'beta',
                match: [{ headerName: 'x-beta', headerValue: { exact: '1' } }],
              },
            },
            { pause: {} },
            { setMirrorRoute: { name: 'shadow', percentage: 50 } },
            { pause: {} },
          ],
          abortScaleDownDelaySeconds: 0,
        },
      },
      trafficRouting: { gatewayAPI: { httpRoute: 'web' } },
    }),
  )
  await waitForStatus(sc.ns, sc.name, 'healthy', (s) => s.phase === 'Healthy')
})
afterAll(async () => {
  await sc.close()
})

describe('header routes and mirroring through the controller', () => {
  it('adds the header rule, then the mirror, step by step, and removes both at promotion', async () => {
    await setVersion(sc.ns, 'web', '2')
    await waitForStatus(sc.ns, sc.name, 'paused after the header route', (s) => {
      return s.phase === 'Paused' && s.step === 2
    })
    const withHeader = await waitFor('the header rule on the route', async () => {
      const rs = await rules(sc.ns)
      return rs.some((r) => r.name === 'kanari-header-0') ? rs : undefined
    })
    expect(summary(withHeader)).toEqual([
      { name: 'kanari-header-0', headers: ['x-beta=1'], backends: ['web-canary:1'], mirror: [] },
      {
        name: 'kanari-weighted',
        headers: [],
        backends: ['web-primary:90', 'web-canary:10'],
        mirror: [],
      },
    ])

    await annotateCommand(sc.ns, sc.name, 'promote')
    await waitForStatus(sc.ns, sc.name, 'paused after the mirror route', (s) => {
      return s.phase === 'Paused' && s.step === 4
    })
    const withMirror = await waitFor('the mirror filter on the weighted rule', async () => {
      const rs = await rules(sc.ns)
      return rs.some((r) => (r.filters ?? []).length > 0) ? rs : undefined
    })
    expect(summary(withMirror)).toEqual([
      { name: 'kanari-header-0', headers: ['x-beta=1'], backends: ['web-canary:1'], mirror: [] },
      {
        name: 'kanari-weighted',
        headers: [],
        backends: ['web-primary:90', 'web-canary:10'],
        mirror: ['web-canary@50'],
      },
    ])

    await annotateCommand(sc.ns, sc.name, 'promote')
    await waitForStatus(sc.ns, sc.name, 'promoted', (s) => s.phase === 'Healthy' && s.stable === 2)
    const after = await waitFor('one weighted rule on the primary', async () => {
      const rs = await rules(sc.ns)
      return rs.length === 1 && rs[0]?.backendRefs?.[0]?.weight === 100 ? rs : undefined
    })
    expect(summary(after)).toEqual([
      {
        name: 'kanari-weighted',
        headers: [],
        backends: ['web-primary:100', 'web-canary:0'],
        mirror: [],
      },
    ])
    const reasons = await eventReasons(sc.ns, sc.name)
    expect(reasons.slice(reasons.lastIndexOf('NewRevision')).at(-1)).toBe('Promoted')
  }, 150_000)
})
