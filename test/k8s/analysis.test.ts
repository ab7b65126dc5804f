/**
 * Analysis on Kubernetes, measured by a real Prometheus: a canary whose error ratio climbs is rolled
 * back by its step analysis — all traffic back on the primary (HTTPRoute 100/0) and the canary scaled
 * to zero — with the run mirrored as a Failed AnalysisRun; a blue-green preview whose pre-promotion
 * analysis fails is rolled back, then retried once it is healthy, and promoted; a smoke test run as
 * a Kubernetes Job (the job provider; KWOK completes its pod) passes a canary's analysis step; a
 * Rollout whose AnalysisTemplates do not exist yet says so, and runs once they are created (one in its
 * namespace, one ClusterAnalysisTemplate given an arg by the step).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES, type KubeObject } from '../../src/kubernetes/kit/types.js'
import { startController, type ControllerProcess } from './support/controller.js'
import {
  applyObject,
  deployment,
  kube,
  kubectl,
  kubectlKanari,
  kubectlOk,
  setVersion,
  testNamespace,
  waitFor,
} from './support/kube.js'
import { errorRatioMetric, startIstioTraffic, type IstioTraffic } from './support/istio-metrics.js'
import {
  applyRollout,
  deploymentOf,
  eventReasons,
  httpRoute,
  rolloutManifest,
  routeWeights,
  waitForStatus,
} from './support/scenario.js'

let ns: Awaited<ReturnType<typeof testNamespace>>
let controller: ControllerProcess
let traffic: IstioTraffic
beforeAll(async () => {
  traffic = await startIstioTraffic()
  ns = await testNamespace('analysis')
  controller = await startController({ namespace: ns.name })
})
afterAll(async () => {
  await controller.stop()
  await ns.delete()
  await traffic.stop()
})

describe('analysis by Prometheus', () => {
  it('rolls a canary back when its error ratio fails the step analysis', async () => {
    await applyObject(deployment(ns.name, 'shop', '1', 2))
    await httpRoute(ns.name, 'shop')
    traffic.serve(ns.name, 'shop-primary', 'healthy')
    traffic.serve(ns.name, 'shop', 'failing')
    await traffic.prometheus.waitForData('istio_requests_total')
    await applyRollout(
      rolloutManifest(ns.name, 'shop', {
        strategy: {
          canary: {
            steps: [
              { setWeight: 20 },
              { analysis: { metrics: [errorRatioMetric(traffic.prometheus.url)] } },
              { setWeight: 60 },
              { pause: {} },
            ],
            abortScaleDownDelaySeconds: 0,
          },
        },
        analysis: { judge: 'limit' },
        trafficRouting: { gatewayAPI: { httpRoute: 'shop' } },
      }),
    )
    await waitForStatus(ns.name, 'shop', 'healthy', (s) => s.phase === 'Healthy')
    await setVersion(ns.name, 'shop', '2')
    const wait = await kubectl([
      '-n',
      ns.name,
      'wait',
      '--for=condition=RolledBack',
      'rollout/shop',
      '--timeout=120s',
    ])
    expect(wait.stdout.trim()).toBe('rollout.kanari.dev/shop condition met')
    await waitFor('all traffic on the primary and the canary at zero', async () => {
      const w = await routeWeights(ns.name, 'shop')
      const target = await deploymentOf(ns.name, 'shop')
      return w['shop-primary'] === 100 && w['shop-canary'] === 0 && target?.spec.replicas === 0
        ? true
        : undefined
    })
    const reasons = await eventReasons(ns.name, 'shop')
    const release = reasons.slice(reasons.lastIndexOf('NewRevision'))
    expect(release).toEqual(
      expect.arrayContaining(['AnalysisStarted', 'AnalysisFailed', 'RolledBack']),
    )
    expect(release.at(-1)).toBe('RolledBack')
    const runs = await (
      await kube()
    ).list<
      KubeObject & {
        spec: { kind: string }
        status?: {
          phase?: string
          message?: string
          metrics?: { name: string; failed: number; errors: number; lastValue?: number }[]
        }
      }
    >(RESOURCES.analysisRuns, ns.name)
    const failed = runs.items.filter((r) => r.status?.phase === 'Failed')
    expect(failed).toHaveLength(1)
    expect(failed[0]?.spec.kind).toBe('step')
    // failed on a value Prometheus gave (about 0.4: 4 errors in 10 answers), not on an error
    const metric = failed[0]?.status?.metrics?.[0]
    expect(metric).toMatchObject({ name: 'error-ratio', errors: 0 })
    expect(metric?.failed).toBeGreaterThanOrEqual(1)
    expect(metric?.lastValue).toBeCloseTo(0.4, 1)
  })

  it('rolls back a blue-green preview whose pre-promotion analysis fails, then retries and promotes it', async () => {
    await applyObject(deployment(ns.name, 'pay', '1', 2))
    traffic.serve(ns.name, 'pay-primary', 'healthy')
    traffic.serve(ns.name, 'pay', 'failing')
    await applyRollout(
      rolloutManifest(ns.name, 'pay', {
        strategy: {
          blueGreen: {
            autoPromotionEnabled: true,
            scaleDownDelaySeconds: 0,
            prePromotionAnalysis: { metrics: [errorRatioMetric(traffic.prometheus.url)] },
          },
        },
        analysis: { judge: 'limit' },
      }),
    )
    await waitForStatus(ns.name, 'pay', 'healthy', (s) => s.phase === 'Healthy')
    await setVersion(ns.name, 'pay', '2')
    await waitForStatus(
      ns.name,
      'pay',
      'rolled back by the pre-promotion analysis',
      (s) => s.phase === 'RolledBack',
      120_000,
    )
    expect(
      (
        await kubectl([
          '-n',
          ns.name,
          'get',
          'service',
          'pay',
          '-o',
          'jsonpath={.spec.selector.app}',
        ])
      ).stdout,
    ).toBe('pay-primary')
    traffic.serve(ns.name, 'pay', 'healthy')
    // the 10 s rate window forgets the failing answers before the retry measures
    await new Promise((r) => setTimeout(r, 12_000))
    const retry = await kubectlKanari(['retry', 'pay', '-n', ns.name])
    expect(retry.stdout.trim()).toBe('rollout pay: retry accepted')
    await waitForStatus(
      ns.name,
      'pay',
      'promoted after the retry',
      (s) => s.phase === 'Healthy' && s.stable === 2,
      120_000,
    )
    const reasons = await eventReasons(ns.name, 'pay')
    const release = reasons.slice(reasons.lastIndexOf('NewRevision'))
    const retried = release.slice(release.indexOf('RolledBack'))
    expect(release.slice(0, release.indexOf('RolledBack') + 1)).toEqual(
      expect.arrayContaining(['PreviewReady', 'AnalysisStarted', 'AnalysisFailed', 'RolledBack']),
    )
    expect(retried).toEqual(
      expect.arrayContaining(['Command', 'AnalysisStarted', 'AnalysisSuccessful', 'Promoted']),
    )
    expect(retried.at(-1)).toBe('Promoted')
  })

  it("waits, saying why, for an AnalysisTemplate not there yet; then uses the namespace's and the cluster's, with args", async () => {
    // Cluster-scoped objects outlive the namespace: a name of this run's, deleted at the end.
    const clusterTemplate = `${ns.name}-error-ratio`
    try {
      await applyObject(deployment(ns.name, 'list', '1', 2))
      await httpRoute(ns.name, 'list')
      traffic.serve(ns.name, 'list-primary', 'healthy')
      traffic.serve(ns.name, 'list', 'failing')
      await traffic.prometheus.waitForData('istio_requests_total')
      await applyRollout(
        rolloutManifest(ns.name, 'list', {
          strategy: {
            canary: {
              steps: [
                { setWeight: 20 },
                {
                  analysis: {
                    templates: [{ templateName: 'reachable' }, { templateName: clusterTemplate }],
                    args: [{ name: 'max-ratio', value: '0.05' }],
                  },
                },
                { setWeight: 60 },
                { pause: {} },
              ],
              abortScaleDownDelaySeconds: 0,
            },
          },
          analysis: { judge: 'limit' },
          trafficRouting: { gatewayAPI: { httpRoute: 'list' } },
        }),
      )
      const specValid = (r: { status?: unknown }) =>
        (
          (
            r.status as
              { conditions?: { type: string; status: string; message?: string }[] } | undefined
          )?.conditions ?? []
        ).find((c) => c.type === 'SpecValid')
      await waitForStatus(
        ns.name,
        'list',
        'SpecValid False, naming the missing template',
        (_s, r) =>
          specValid(r)?.status === 'False' && /reachable/.test(specValid(r)?.message ?? ''),
      )
      // and a Warning Event says so (`kubectl describe rollout`)
      await waitFor('an InvalidSpec Warning naming the missing template', async () => {
        const listed = JSON.parse(
          await kubectlOk(['-n', ns.name, 'get', 'events.events.k8s.io', '-o', 'json']),
        ) as { items: { reason?: string; note?: string; regarding?: { name?: string } }[] }
        return listed.items.some(
          (e) =>
            e.reason === 'InvalidSpec' &&
            e.regarding?.name === 'list' &&
            /reachable/.test(e.note ?? ''),
        )
          ? true
          : undefined
      })
      const metric = errorRatioMetric(traffic.prometheus.url)
      await applyObject({
        apiVersion: 'kanari.dev/v1alpha1',
        kind: 'AnalysisTemplate',
        metadata: { name: 'reachable', namespace: ns.name },
        spec: { metrics: [{ ...metric, name: 'reachable', successCondition: 'result <= 1' }] },
      })
      await applyObject({
        apiVersion: 'kanari.dev/v1alpha1',
        kind: 'ClusterAnalysisTemplate',
        metadata: { name: clusterTemplate },
        spec: {
          args: [{ name: 'max-ratio' }],
          metrics: [{ ...metric, successCondition: 'result < {{args.max-ratio}}' }],
        },
      })
      // the templates' arrival alone makes the Rollout valid: nothing else changed
      await waitForStatus(
        ns.name,
        'list',
        'valid and healthy once its templates exist',
        (s, r) => specValid(r)?.status === 'True' && s.phase === 'Healthy',
      )
      await setVersion(ns.name, 'list', '2')
      await waitForStatus(
        ns.name,
        'list',
        'rolled back by the template metric',
        (s) => s.phase === 'RolledBack',
        120_000,
      )
      // the run is mirrored as an AnalysisRun object (after the status that rolled back)
      const failed = await waitFor('the failed run as an AnalysisRun', async () => {
        const runs = await (
          await kube()
        ).list<
          KubeObject & {
            status?: { phase?: string; metrics?: { name: string; failed: number }[] }
          }
        >(RESOURCES.analysisRuns, ns.name)
        const mine = runs.items.filter(
          (r) => r.status?.phase === 'Failed' && r.metadata.name.startsWith('list-'),
        )
        return mine.length > 0 ? mine : undefined
      })
      expect(failed).toHaveLength(1)
      // both templates' metrics ran; the cluster template's, with the step's arg, failed it
      const byName = new Map((failed[0]?.status?.metrics ?? []).map((m) => [m.name, m]))
      expect([...byName.keys()].sort()).toEqual(['error-ratio', 'reachable'])
      expect(byName.get('reachable')?.failed).toBe(0)
      expect(byName.get('error-ratio')?.failed).toBeGreaterThanOrEqual(1)
    } finally {
      await kubectl(['delete', 'clusteranalysistemplate', clusterTemplate, '--ignore-not-found'])
    }
  }, 240_000)

  it('passes an analysis step on a smoke-test Job', async () => {
    await applyObject(deployment(ns.name, 'cart', '1', 2))
    await applyRollout(
      rolloutManifest(ns.name, 'cart', {
        strategy: {
          canary: {
            steps: [
              { setWeight: 30 },
              {
                analysis: {
                  metrics: [
                    {
                      name: 'smoke',
                      count: 1,
                      // longer than the Job takes: the next one is asked for only after it
                      interval: '30s',
                      successCondition: 'result == 1',
                      provider: {
                        job: {
                          image: 'registry.example/smoke:1',
                          command: ['/smoke', 'http://{{ service }}-canary'],
                          timeout: '60s',
                        },
                      },
                    },
                  ],
                },
              },
            ],
          },
        },
        analysis: { judge: 'limit' },
      }),
    )
    await waitForStatus(ns.name, 'cart', 'healthy', (s) => s.phase === 'Healthy')
    await setVersion(ns.name, 'cart', '2')
    await waitForStatus(
      ns.name,
      'cart',
      'promoted',
      (s) => s.phase === 'Healthy' && s.stable === 2,
      120_000,
    )
    const reasons = await eventReasons(ns.name, 'cart')
    expect(reasons.slice(reasons.lastIndexOf('NewRevision'))).toEqual(
      expect.arrayContaining(['AnalysisStarted', 'AnalysisSuccessful', 'Promoted']),
    )
    const jobs = await (
      await kube()
    ).list<
      KubeObject & {
        spec: { template: { spec: { containers: { command: string[] }[] } } }
        status?: { succeeded?: number }
      }
    >(RESOURCES.jobs, ns.name, { labelSelector: 'kanari.dev/analysis-run' })
    expect(jobs.items).toHaveLength(1)
    expect(jobs.items[0]?.status?.succeeded).toBe(1)
    expect(jobs.items[0]?.spec.template.spec.containers[0]?.command).toEqual([
      '/smoke',
      'http://cart-canary',
    ])
  })
})
