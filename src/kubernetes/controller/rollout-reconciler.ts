/**
 * Reconciling one Rollout: read it and its target from the caches, find the target's revision,
 * validate and plan, run new commands, tick the shared runner, hand stable's traffic over to the
 * primary once it serves, and mirror analysis runs as AnalysisRun objects. Level-based: running it
 * again with nothing changed changes nothing. Each concern lives in its own module beside this one.
 */
import type { MetricProviders } from '../../controller/ports.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { KubeApi } from '../kit/api.js'
import { mergeConditions, type Condition } from '../kit/conditions.js'
import type { EventRecorder } from '../kit/event-recorder.js'
import type { Informer } from '../kit/informer.js'
import type { KubeObject } from '../kit/types.js'
import type { WorkResult } from '../kit/work-queue.js'
import {
  engineStatusOf,
  KubeRolloutStatusStore,
  type RolloutObject,
} from '../store/rollout-status-store.js'
import type { Deployment, ReplicaSet } from '../workloads/deployments.js'
import { targetPortOf } from '../workloads/services.js'
import { mirrorAnalysisRuns } from './analysis-run-objects.js'
import { runCommands } from './command-runner.js'
import { currentCommands } from './commands.js'
import { ensureFinalizer, finalizeRollout } from './finalizer.js'
import { InvalidSpecs } from './invalid-spec.js'
import { ensureServices, handOver } from './primary-handover.js'
import { nextLookMs, targetPending } from './requeue-policy.js'
import { rolloutConditions, stepText } from './rollout-conditions.js'
import { RolloutHandle, serviceOf, wiringOf, type ControllerBook } from './rollout-handle.js'
import { RolloutReads } from './rollout-reads.js'
import { specOf } from './rollout-spec.js'
import {
  recordedTemplates,
  targetOf,
  targetRevision,
  type ControllerRevision,
} from './target-revision.js'

export { FINALIZER } from './finalizer.js'
export { REVISIONS_KEPT, type ControllerRevision } from './target-revision.js'

export interface ReconcilerCaches {
  rollouts: Informer<RolloutObject>
  deployments: Informer<Deployment>
  replicaSets: Informer<ReplicaSet>
  templates: Informer<KubeObject>
  clusterTemplates: Informer<KubeObject>
  revisions: Informer<ControllerRevision>
}

export interface ReconcilerOptions {
  client: KubeApi
  caches: ReconcilerCaches
  metrics: MetricProviders
  recorder: EventRecorder
  log: (line: string) => void
  /** Ms between ticks of a rollout in flight. */
  tickMs: number
  /** Ms between reconciles of a settled rollout (the informers wake it on any change). */
  resyncMs: number
  now?: () => number
}

const splitKey = (key: string): [string, string] => {
  const i = key.indexOf('/')
  return [key.slice(0, i), key.slice(i + 1)]
}

export class RolloutReconciler {
  readonly handles = new Map<string, RolloutHandle>()
  readonly #stores = new Map<string, KubeRolloutStatusStore>()
  readonly #o: ReconcilerOptions
  readonly #reads: RolloutReads
  /** Rollouts that cannot run, by key (a valid one has a handle). */
  readonly #invalid: InvalidSpecs

  constructor(options: ReconcilerOptions) {
    this.#o = options
    this.#reads = new RolloutReads(options.caches.templates, options.caches.clusterTemplates)
    this.#invalid = new InvalidSpecs({
      recorder: options.recorder,
      store: (ns) => this.#store(ns),
      handle: (key) => this.handles.get(key),
      conditions: (key, status) => this.#decorate(key, status, undefined).conditions,
    })
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now()
  }

  #store(namespace: string): KubeRolloutStatusStore {
    let store = this.#stores.get(namespace)
    if (store === undefined) {
      store = new KubeRolloutStatusStore(this.#o.client, namespace, (name, status, current) =>
        this.#decorate(`${namespace}/${name}`, status, current?.conditions as Condition[]),
      )
      this.#stores.set(namespace, store)
    }
    return store
  }

  /** The rest of a status save: conditions, observed generation, step, the controller's book. */
  #decorate(key: string, status: RolloutStatus, old: Condition[] | undefined) {
    const handle = this.handles.get(key)
    const invalid = this.#invalid.get(key)
    const object = handle?.object ?? invalid?.object
    const problems = invalid?.problems ?? []
    const steps =
      handle !== undefined && handle.runner.plan.strategy.kind === 'canary'
        ? handle.runner.plan.strategy.steps.length
        : 0
    const generation = object?.metadata.generation
    return {
      ...(generation === undefined ? {} : { observedGeneration: generation }),
      step: stepText(status, steps),
      conditions: mergeConditions(
        old,
        rolloutConditions(
          status,
          problems,
          handle === undefined
            ? undefined
            : handle.stableRouted === 'primary' &&
                handle.driver.primaryServes(status.stableRevision),
        ),
        this.#now(),
        generation,
      ),
      kanari: { ...(handle?.book ?? invalid?.book ?? {}) },
    }
  }

  #save(handle: RolloutHandle): Promise<void> {
    return this.#store(handle.names.namespace).saveStatus(
      handle.names.rollout.name,
      handle.runner.status,
      [],
    )
  }

  async reconcile(key: string): Promise<WorkResult | undefined> {
    const [namespace, name] = splitKey(key)
    const object = this.#o.caches.rollouts.get(namespace, name)
    if (object === undefined) {
      this.handles.delete(key)
      this.#reads.forget(key)
      this.#invalid.forget(key)
      return undefined
    }
    if (object.metadata.deletionTimestamp !== undefined) {
      await finalizeRollout(this.#o.client, object, this.handles.get(key), this.#o.log)
      this.handles.delete(key)
      return undefined
    }
    await ensureFinalizer(this.#o.client, object)
    const handle = this.handles.get(key)
    if (
      handle !== undefined &&
      (handle.names.rollout.uid !== object.metadata.uid ||
        handle.wiring !== wiringOf(specOf(object)))
    ) {
      // Another object of the same name, or another target, router or port: build it afresh.
      this.handles.delete(key)
      return this.reconcile(key)
    }
    return handle === undefined ? this.#first(key, object) : this.#again(handle, object)
  }

  async #first(key: string, object: RolloutObject): Promise<WorkResult | undefined> {
    const spec = specOf(object)
    const stored = object.status?.kanari as Partial<ControllerBook> | undefined
    const book: ControllerBook = {
      revisions: stored?.revisions ?? [],
      // A Rollout seen for the first time runs none of the commands already on it.
      commands: stored?.commands ?? currentCommands(object.metadata.annotations),
      ...(stored?.lastCommand === undefined ? {} : { lastCommand: stored.lastCommand }),
      ...(stored?.pausedBySpec === undefined ? {} : { pausedBySpec: stored.pausedBySpec }),
    }
    const status = engineStatusOf(object.status)
    const target = targetOf(object, this.#o.caches.deployments)
    const checked =
      typeof target === 'string' ? { problems: [target] } : this.#reads.read(object, 1)
    if (typeof target === 'string' || checked.plan === undefined) {
      await this.#invalid.report(object, status, book, checked.problems)
      return { requeueAfterMs: this.#o.resyncMs }
    }
    const wasInvalid = this.#invalid.forget(key)
    const ns = object.metadata.namespace ?? 'default'
    const templates = recordedTemplates(this.#o.caches.revisions, ns, object.metadata.name)
    const revision = await targetRevision(this.#o.client, object, status, book, templates, target)
    const read = this.#reads.read(object, revision)
    if (read.plan === undefined) return undefined
    const store = this.#store(ns)
    store.adopt(object.metadata.name, object.status)
    const port = { port: serviceOf(spec).port, name: 'http' }
    const handle = new RolloutHandle(
      {
        client: this.#o.client,
        caches: {
          deployment: (n, d) => this.#o.caches.deployments.get(n, d),
          replicaSets: (n) => this.#o.caches.replicaSets.list(n),
        },
        metrics: this.#o.metrics,
        recorder: this.#o.recorder,
        store,
        log: this.#o.log,
        now: () => this.#now(),
      },
      {
        object,
        spec,
        plan: read.plan,
        status,
        book,
        targetRevision: revision,
        templates,
        targetSelector: target.spec.selector.matchLabels ?? {},
        port,
        targetPort: targetPortOf(target.spec.template, port),
      },
    )
    handle.stableRouted = await handle.router.routedStable()
    this.handles.set(key, handle)
    return this.#run(handle, object, target, wasInvalid)
  }

  async #again(handle: RolloutHandle, object: RolloutObject): Promise<WorkResult | undefined> {
    handle.object = object
    const target = targetOf(object, this.#o.caches.deployments)
    const status = handle.runner.status
    if (typeof target === 'string') {
      await this.#invalid.report(object, status, handle.book, [target])
      return { requeueAfterMs: this.#o.resyncMs }
    }
    const revision = await targetRevision(
      this.#o.client,
      object,
      status,
      handle.book,
      handle.templates,
      target,
    )
    const read = this.#reads.read(object, revision)
    if (read.plan === undefined) {
      await this.#invalid.report(object, status, handle.book, read.problems)
      return { requeueAfterMs: this.#o.resyncMs }
    }
    const planChanged = JSON.stringify(read.plan) !== JSON.stringify(handle.runner.plan)
    handle.targetRevision = revision
    handle.targetPort = targetPortOf(target.spec.template, {
      port: serviceOf(specOf(object)).port,
      name: 'http',
    })
    const wasInvalid = this.#invalid.forget(handle.key)
    if (planChanged) await handle.runner.update(read.plan)
    return this.#run(handle, object, target, wasInvalid)
  }

  /** Commands, the tick, the handover to the primary, analysis runs: one reconcile's work. */
  async #run(
    handle: RolloutHandle,
    object: RolloutObject,
    target: Deployment,
    resave: boolean,
  ): Promise<WorkResult> {
    const { runner } = handle
    await ensureServices(this.#o.client, handle)
    await runCommands(
      { recorder: this.#o.recorder, now: () => this.#now(), save: (h) => this.#save(h) },
      handle,
      object,
    )
    await runner.tickOnce(this.#now())
    if (resave) await runner.serial(() => this.#save(handle))
    // Conditions follow the route: a handover changes `Promoted`, so the status is saved again.
    if (await runner.serial(() => handOver(handle))) await runner.serial(() => this.#save(handle))
    await ensureServices(this.#o.client, handle)
    await mirrorAnalysisRuns(this.#o.client, handle, runner.status)
    const status = runner.status
    const held = handle.driver.drainHeldMs
    const next = nextLookMs({
      status,
      plan: runner.plan,
      now: this.#now(),
      tickMs: this.#o.tickMs,
      resyncMs: this.#o.resyncMs,
      targetPending: targetPending({
        status,
        targetRevision: handle.targetRevision,
        targetReplicas: target.spec.replicas ?? 1,
        stableOnServingPrimary:
          handle.stableRouted === 'primary' && handle.driver.primaryServes(status.stableRevision),
      }),
    })
    return { requeueAfterMs: held === undefined ? next : Math.min(next, held + 50) }
  }
}
