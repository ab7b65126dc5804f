/**
 * The rollout reconciler on the in-memory Kubernetes API, for unit tests (as Flagger's controller
 * tests build theirs on a fake clientset): the informers the controller uses, the event recorder,
 * metric providers answering from a function, a clock the test moves, and a stand-in for the
 * Deployment controller that reports a Deployment's replicas ready once it has observed its spec
 * (unless the test holds it). `step()` is one reconcile as the work queue would run it.
 */
import type { Measurement, MeasurementRequest } from '../../../analysis/types.js'
import type { MetricProviders } from '../../../controller/ports.js'
import { EventRecorder } from '../../kit/event-recorder.js'
import { Informer } from '../../kit/informer.js'
import { MemoryKubeApi } from '../../kit/memory-api/memory-api.js'
import { RESOURCES, type KubeObject } from '../../kit/types.js'
import type { WorkResult } from '../../kit/work-queue.js'
import type { RolloutObject } from '../../store/rollout-status-store.js'
import { LABEL_ROLLOUT } from '../../workloads/deployment-workloads.js'
import type { Deployment, ReplicaSet } from '../../workloads/deployments.js'
import { RolloutReconciler, type ReconcilerCaches } from '../rollout-reconciler.js'
import type { ControllerRevision } from '../target-revision.js'

export const NS = 'shop'
export const TICK_MS = 1000
export const RESYNC_MS = 30_000

export type MetricAnswer = (request: MeasurementRequest) => Omit<Measurement, 'metric' | 'at'>

export interface ReconcilerFixture {
  api: MemoryKubeApi
  reconciler: RolloutReconciler
  recorder: EventRecorder
  clock: { now: number }
  logs: string[]
  /** Deployments whose replicas do not come up (the stand-in controller leaves them). */
  held: Set<string>
  /** Lets every change already made reach the informers and the stand-in Deployment controller. */
  settle(): Promise<void>
  /** One reconcile of the Rollout, then the clock moves on by `advanceMs` (default one tick). */
  step(name?: string, advanceMs?: number): Promise<WorkResult | undefined>
  /** Steps until `check` holds, failing with `what` after `max` reconciles. */
  stepUntil(
    what: string,
    check: (r: RolloutObject) => boolean,
    name?: string,
    max?: number,
  ): Promise<RolloutObject>
  rollout(name?: string): Promise<RolloutObject>
  /** Reasons of the Events about the Rollout, in the order they were recorded. */
  eventReasons(name?: string): Promise<string[]>
  close(): Promise<void>
}

/** The user's Deployment: a VERSION env var is its template (change it for a new revision). */
export function userDeployment(name: string, version: string, replicas = 2): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.example/app:1',
              env: [{ name: 'VERSION', value: version }],
              ports: [{ name: 'http', containerPort: 8080 }],
            },
          ],
        },
      },
    },
  }
}

export function rolloutObject(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'kanari.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 2,
      workload: { targetRef: { kind: 'Deployment', name } },
      service: { port: 80 },
      ...spec,
    },
  }
}

/** What `kubectl set env deployment/NAME VERSION=…` does to the user's Deployment. */
export async function setVersion(api: MemoryKubeApi, name: string, version: string): Promise<void> {
  const d = await api.get<Deployment>(RESOURCES.deployments, NS, name)
  const container = (d.spec.template.spec as { containers: { env: { value: string }[] }[] })
    .containers[0]
  if (container?.env[0] !== undefined) container.env[0].value = version
  await api.replace(RESOURCES.deployments, NS, d)
}

/** The user's own HTTPRoute `name` (a parent Gateway and a hostname, no rules): what Kanari routes through. */
export async function userHttpRoute(api: MemoryKubeApi, name: string): Promise<void> {
  await api.apply(
    RESOURCES.httpRoutes,
    NS,
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name, namespace: NS },
      spec: { parentRefs: [{ name: 'gateway' }], hostnames: [`${name}.example.com`] },
    },
    { fieldManager: 'user' },
  )
}

/** The weights of the rule Kanari keeps in HTTPRoute `name`, by backend Service. */
export async function routeWeights(
  api: MemoryKubeApi,
  name: string,
): Promise<Record<string, number>> {
  const r = await api.get<
    KubeObject & {
      spec: { rules?: { name?: string; backendRefs?: { name: string; weight?: number }[] }[] }
    }
  >(RESOURCES.httpRoutes, NS, name)
  const rule = r.spec.rules?.find((x) => x.name === 'kanari-weighted')
  return Object.fromEntries((rule?.backendRefs ?? []).map((b) => [b.name, b.weight ?? 1]))
}

/** What `kubectl kanari <command>` does: a new value of the command's annotation. */
export async function command(
  api: MemoryKubeApi,
  name: string,
  verb: string,
  value: string,
): Promise<void> {
  await api.patch(RESOURCES.rollouts, NS, name, {
    metadata: { annotations: { [`kanari.dev/${verb}`]: value } },
  })
}

export async function reconcilerFixture(
  options: { metrics?: MetricAnswer } = {},
): Promise<ReconcilerFixture> {
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') }
  const api = new MemoryKubeApi({ now: () => clock.now })
  const logs: string[] = []
  const log = (line: string) => logs.push(line)
  const held = new Set<string>()
  const informers: Informer<KubeObject>[] = []
  const informer = <T extends KubeObject>(
    resource: (typeof RESOURCES)[keyof typeof RESOURCES],
    extra: { labelSelector?: string; onEvent?: (o: T) => void } = {},
  ): Informer<T> => {
    const i = new Informer<T>(api, {
      resource,
      ...(extra.labelSelector === undefined ? {} : { labelSelector: extra.labelSelector }),
      onEvent: (_type, o) => extra.onEvent?.(o),
      log,
    })
    informers.push(i as unknown as Informer<KubeObject>)
    return i
  }
  // The Deployment controller's part the reconciler reads: replicas up once the spec is observed.
  const rollOut = (d: Deployment) => {
    const replicas = d.spec.replicas ?? 1
    const generation = d.metadata.generation ?? 0
    const s = d.status ?? {}
    if (held.has(d.metadata.name) || d.metadata.deletionTimestamp !== undefined) return
    if (s.observedGeneration === generation && s.readyReplicas === replicas) return
    void api
      .patch(
        RESOURCES.deployments,
        d.metadata.namespace,
        d.metadata.name,
        {
          status: {
            observedGeneration: generation,
            replicas,
            updatedReplicas: replicas,
            readyReplicas: replicas,
            availableReplicas: replicas,
          },
        },
        'status',
      )
      .catch(() => undefined)
  }
  const caches: ReconcilerCaches = {
    rollouts: informer<RolloutObject>(RESOURCES.rollouts),
    deployments: informer<Deployment>(RESOURCES.deployments, { onEvent: rollOut }),
    replicaSets: informer<ReplicaSet>(RESOURCES.replicaSets),
    templates: informer<KubeObject>(RESOURCES.analysisTemplates),
    clusterTemplates: informer<KubeObject>(RESOURCES.clusterAnalysisTemplates),
    revisions: informer<ControllerRevision>(RESOURCES.controllerRevisions, {
      labelSelector: LABEL_ROLLOUT,
    }),
  }
  for (const i of informers) i.start()
  await Promise.all(informers.map((i) => i.synced))
  const recorder = new EventRecorder(api, 'kanari.dev/controller', 'test', log)
  const metrics: MetricProviders = {
    prometheus: {
      measure: (request) =>
        Promise.resolve({
          metric: request.metric,
          at: clock.now,
          ...(options.metrics?.(request) ?? { value: null }),
        }),
    },
  }
  const reconciler = new RolloutReconciler({
    client: api,
    caches,
    metrics,
    recorder,
    log,
    tickMs: TICK_MS,
    resyncMs: RESYNC_MS,
    now: () => clock.now,
  })
  const settle = async () => {
    // Watches deliver in microtasks; writes they cause go out in the same turn. Quiet for two
    // turns in a row means every consequence has landed.
    let quiet = 0
    let last = -1
    while (quiet < 2) {
      await new Promise((r) => setImmediate(r))
      const seen = api.requests.total + recorder.pending
      quiet = seen === last ? quiet + 1 : 0
      last = seen
    }
  }
  const rollout = (name = 'web') => api.get<RolloutObject>(RESOURCES.rollouts, NS, name)
  const fixture: ReconcilerFixture = {
    api,
    reconciler,
    recorder,
    clock,
    logs,
    held,
    settle,
    async step(name = 'web', advanceMs = TICK_MS) {
      await settle()
      const result = await reconciler.reconcile(`${NS}/${name}`)
      await reconciler.handles.get(`${NS}/${name}`)?.runner.idle()
      await settle()
      clock.now += advanceMs
      return result
    },
    async stepUntil(what, check, name = 'web', max = 40) {
      for (let i = 0; i < max; i++) {
        await fixture.step(name)
        const r = await rollout(name)
        if (check(r)) return r
      }
      const r = await rollout(name)
      throw new Error(
        `after ${max} reconciles, still not ${what}: status ${JSON.stringify({ phase: r.status?.phase, message: r.status?.message })}; log: ${logs.slice(-5).join(' | ')}`,
      )
    },
    rollout,
    async eventReasons(name = 'web') {
      await recorder.flush()
      const events = await api.list<
        KubeObject & { reason?: string; regarding?: { name?: string } }
      >(RESOURCES.events, NS)
      return events.items
        .filter((e) => e.regarding?.name === name)
        .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
        .map((e) => e.reason ?? '')
    },
    async close() {
      await recorder.flush()
      await Promise.all(informers.map((i) => i.stop()))
      await api.close()
    },
  }
  return fixture
}
