/**
 * Reconciling one Rollout: read it and its target from the caches, find the target's revision (its
 * pod template and the configuration it references), validate and plan, run new commands, tick the
 * shared runner, hand stable's traffic over to the primary once it serves, and mirror analysis runs
 * as AnalysisRun objects. Level-based: running it again with nothing changed changes nothing.
 */
import type { MetricProviders } from '../../controller/ports.js'
import { assignRevision } from '../../controller/revisions.js'
import { KanariError } from '../../errors.js'
import { applyCommand, type RolloutCommand } from '../../engine/commands.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { RolloutSpec } from '../../spec/schema.js'
import type { KubeApi } from '../kit/api.js'
import { mergeConditions, type Condition } from '../kit/conditions.js'
import { isNotFound } from '../kit/errors.js'
import type { EventRecorder } from '../kit/event-recorder.js'
import type { Informer } from '../kit/informer.js'
import { RESOURCES, type KubeObject } from '../kit/types.js'
import type { WorkResult } from '../kit/work-queue.js'
import {
  engineStatusOf,
  KubeRolloutStatusStore,
  type RolloutObject,
} from '../store/rollout-status-store.js'
import type { Deployment, ReplicaSet } from '../workloads/deployments.js'
import {
  LABEL_ROLLOUT,
  ownerRef,
  primaryName,
  type Backend,
  type RevisionTemplate,
} from '../workloads/deployment-workloads.js'
import { configRefsOf, revisionHash, type PodTemplate } from '../workloads/pod-template.js'
import { applyServices, targetPortOf } from '../workloads/services.js'
import { actorOf, commandOf, currentCommands, newCommands } from './commands.js'
import { mirrorAnalysisRuns } from './analysis-run-objects.js'
import { rolloutConditions, stepText } from './rollout-conditions.js'
import { RolloutHandle, serviceOf, wiringOf, type ControllerBook } from './rollout-handle.js'
import { readRollout, templatesFor } from './rollout-spec.js'

export const FINALIZER = 'kanari.dev/restore-traffic'
/** Revisions remembered per rollout (older ones can no longer be reverted to without steps). */
const REVISIONS_KEPT = 20

export type ControllerRevision = KubeObject & {
  revision?: number
  data?: { template?: PodTemplate; selector?: Record<string, string>; hash?: string }
}

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

  constructor(options: ReconcilerOptions) {
    this.#o = options
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

  /** Problems of Rollouts that cannot run, and their book, by key (a valid one has a handle). */
  readonly #invalid = new Map<
    string,
    {
      object: RolloutObject
      book: ControllerBook
      problems: string[]
      warnedGeneration?: number | undefined
    }
  >()

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
        rolloutConditions(status, problems),
        this.#now(),
        generation,
      ),
      kanari: { ...(handle?.book ?? invalid?.book ?? {}) },
    }
  }

  async reconcile(key: string): Promise<WorkResult | undefined> {
    const [namespace, name] = splitKey(key)
    const object = this.#o.caches.rollouts.get(namespace, name)
    if (object === undefined) {
      this.handles.delete(key)
      this.#reads.delete(key)
      this.#invalid.delete(key)
      return undefined
    }
    if (object.metadata.deletionTimestamp !== undefined) {
      await this.#finalize(key, object)
      return undefined
    }
    if (!(object.metadata.finalizers ?? []).includes(FINALIZER))
      await this.#o.client.patch(RESOURCES.rollouts, namespace, name, {
        metadata: { finalizers: [...(object.metadata.finalizers ?? []), FINALIZER] },
      })
    const handle = this.handles.get(key)
    if (
      handle !== undefined &&
      (handle.names.rollout.uid !== object.metadata.uid ||
        handle.wiring !== wiringOf(this.#spec(object)))
    ) {
      // Another object of the same name, or another target, router or port: build it afresh.
      this.handles.delete(key)
      return this.reconcile(key)
    }
    return handle === undefined ? this.#first(key, object) : this.#again(handle, object)
  }

  // ── reading the target ─────────────────────────────────────────────────────────────────────

  #spec(object: RolloutObject): RolloutSpec {
    return (object.spec ?? {}) as unknown as RolloutSpec
  }

  #target(object: RolloutObject): Deployment | string {
    const spec = this.#spec(object)
    const name = spec.workload.targetRef?.name
    const ns = object.metadata.namespace ?? 'default'
    if (spec.workload.flag !== undefined)
      return 'spec.workload.flag: flag rollouts run in local mode (the daemon serves the flag); on Kubernetes, roll out a Deployment with spec.workload.targetRef'
    if (name === undefined) return 'spec.workload.targetRef: names no Deployment'
    const target = this.#o.caches.deployments.get(ns, name)
    if (target === undefined)
      return `spec.workload.targetRef: Deployment ${ns}/${name} does not exist (create it, or fix the name)`
    if (Object.keys(target.spec.selector.matchLabels ?? {}).length === 0)
      return `spec.workload.targetRef: Deployment ${ns}/${name} selects its pods without matchLabels; Kanari needs matchLabels to select them`
    return target
  }

  /** The hash of the target's pod template and the ConfigMaps and Secrets it references. */
  async #targetHash(target: Deployment): Promise<string> {
    const ns = target.metadata.namespace ?? 'default'
    const refs = configRefsOf(target.spec.template)
    const configMaps: Record<string, unknown> = {}
    const secrets: Record<string, unknown> = {}
    for (const name of refs.configMaps) {
      const cm = await this.#o.client.find<KubeObject>(RESOURCES.configMaps, ns, name)
      configMaps[name] = cm === undefined ? null : { data: cm.data, binaryData: cm.binaryData }
    }
    for (const name of refs.secrets) {
      const secret = await this.#o.client.find<KubeObject>(RESOURCES.secrets, ns, name)
      secrets[name] = secret === undefined ? null : { data: secret.data }
    }
    return revisionHash(target.spec.template, { configMaps, secrets })
  }

  /** Templates of the revisions recorded as ControllerRevisions. */
  #recordedTemplates(namespace: string, rollout: string): Map<number, RevisionTemplate> {
    const out = new Map<number, RevisionTemplate>()
    for (const cr of this.#o.caches.revisions.list(namespace)) {
      if (cr.metadata.labels?.[LABEL_ROLLOUT] !== rollout) continue
      const data = cr.data
      if (cr.revision === undefined || data?.template === undefined) continue
      out.set(cr.revision, {
        revision: cr.revision,
        hash: data.hash ?? '',
        template: data.template,
        selector: data.selector ?? {},
      })
    }
    return out
  }

  /** Assigns the target's revision; a new one is recorded as a ControllerRevision first. */
  async #revision(
    object: RolloutObject,
    status: RolloutStatus,
    book: ControllerBook,
    templates: Map<number, RevisionTemplate>,
    target: Deployment,
  ): Promise<number> {
    const hash = await this.#targetHash(target)
    const { revision } = assignRevision(
      {
        current: status.revision === 0 ? undefined : status.revision,
        stable: status.stableRevision,
        revisions: book.revisions,
      },
      hash,
      false,
    )
    if (!book.revisions.some((r) => r.revision === revision && r.hash === hash)) {
      const tpl: RevisionTemplate = {
        revision,
        hash,
        template: structuredClone(target.spec.template),
        selector: { ...(target.spec.selector.matchLabels ?? {}) },
      }
      const ns = object.metadata.namespace ?? 'default'
      await this.#o.client.apply(RESOURCES.controllerRevisions, ns, {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: `${object.metadata.name}-${revision}`,
          namespace: ns,
          labels: { [LABEL_ROLLOUT]: object.metadata.name },
          ownerReferences: [
            ownerRef({ name: object.metadata.name, uid: object.metadata.uid ?? '' }),
          ],
        },
        revision,
        data: { template: tpl.template, selector: tpl.selector, hash },
      })
      templates.set(revision, tpl)
      book.revisions = [
        ...book.revisions.filter((r) => r.revision !== revision),
        { revision, hash },
      ].slice(-REVISIONS_KEPT)
    }
    return revision
  }

  /** Validation and plans by what they depend on: the spec's generation, templates, revision. */
  readonly #reads = new Map<string, { key: string; read: ReturnType<typeof readRollout> }>()

  /** The Rollout validated and planned, again only when its spec or its templates changed. */
  #read(object: RolloutObject, revision: number): ReturnType<typeof readRollout> {
    const templates = this.#templates(object)
    const key = [
      object.metadata.uid,
      object.metadata.generation,
      JSON.stringify(object.metadata.labels ?? {}),
      revision,
      ...templates.map((t) => `${t.metadata.name}@${t.metadata.resourceVersion ?? ''}`),
    ].join('|')
    const id = `${object.metadata.namespace ?? ''}/${object.metadata.name}`
    const cached = this.#reads.get(id)
    if (cached?.key === key) return cached.read
    const read = readRollout(object, templates, revision)
    this.#reads.set(id, { key, read })
    return read
  }

  #templates(object: RolloutObject): KubeObject[] {
    return templatesFor(
      this.#o.caches.templates.list(object.metadata.namespace),
      this.#o.caches.clusterTemplates.list(),
    )
  }

  // ── first sight and every time after ───────────────────────────────────────────────────────

  async #first(key: string, object: RolloutObject): Promise<WorkResult | undefined> {
    const spec = this.#spec(object)
    const stored = object.status?.kanari as Partial<ControllerBook> | undefined
    const book: ControllerBook = {
      revisions: stored?.revisions ?? [],
      // A Rollout seen for the first time runs none of the commands already on it.
      commands: stored?.commands ?? currentCommands(object.metadata.annotations),
      ...(stored?.lastCommand === undefined ? {} : { lastCommand: stored.lastCommand }),
      ...(stored?.pausedBySpec === undefined ? {} : { pausedBySpec: stored.pausedBySpec }),
    }
    const status = engineStatusOf(object.status)
    const target = this.#target(object)
    const checked = typeof target === 'string' ? { problems: [target] } : this.#read(object, 1)
    if (typeof target === 'string' || checked.plan === undefined) {
      await this.#reportInvalid(object, status, book, checked.problems)
      return { requeueAfterMs: this.#o.resyncMs }
    }
    const wasInvalid = this.#invalid.delete(key)
    const ns = object.metadata.namespace ?? 'default'
    const templates = this.#recordedTemplates(ns, object.metadata.name)
    const revision = await this.#revision(object, status, book, templates, target)
    const read = this.#read(object, revision)
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
    const target = this.#target(object)
    const status = handle.runner.status
    if (typeof target === 'string') {
      await this.#reportInvalid(object, status, handle.book, [target])
      return { requeueAfterMs: this.#o.resyncMs }
    }
    const revision = await this.#revision(object, status, handle.book, handle.templates, target)
    const read = this.#read(object, revision)
    if (read.plan === undefined) {
      await this.#reportInvalid(object, status, handle.book, read.problems)
      return { requeueAfterMs: this.#o.resyncMs }
    }
    const planChanged = JSON.stringify(read.plan) !== JSON.stringify(handle.runner.plan)
    handle.targetRevision = revision
    handle.targetPort = targetPortOf(target.spec.template, {
      port: serviceOf(this.#spec(object)).port,
      name: 'http',
    })
    const wasInvalid = this.#invalid.delete(handle.key)
    if (planChanged) await handle.runner.update(read.plan)
    return this.#run(handle, object, target, wasInvalid)
  }

  /** Records why a Rollout cannot run: the SpecValid condition, and one Warning per generation. */
  async #reportInvalid(
    object: RolloutObject,
    status: RolloutStatus,
    book: ControllerBook,
    problems: string[],
  ): Promise<void> {
    const ns = object.metadata.namespace ?? 'default'
    const key = `${ns}/${object.metadata.name}`
    const entry = this.#invalid.get(key) ?? { object, book, problems }
    Object.assign(entry, { object, book, problems })
    this.#invalid.set(key, entry)
    const store = this.#store(ns)
    const handle = this.handles.get(key)
    const save = () => store.saveStatus(object.metadata.name, status, [])
    const before = JSON.stringify(
      ((object.status?.conditions ?? []) as Condition[]).map(
        ({ lastTransitionTime: _t, ...c }) => c,
      ),
    )
    const after = JSON.stringify(
      this.#decorate(key, status, undefined).conditions.map(
        ({ lastTransitionTime: _t, ...c }) => c,
      ),
    )
    if (before !== after) {
      if (handle === undefined) {
        store.adopt(object.metadata.name, object.status)
        await save()
      } else await handle.runner.serial(save)
    }
    if (entry.warnedGeneration !== object.metadata.generation) {
      entry.warnedGeneration = object.metadata.generation
      this.#o.recorder.record(RESOURCES.rollouts, object, {
        type: 'Warning',
        reason: 'InvalidSpec',
        action: 'Validate',
        note: problems.join('; '),
      })
    }
  }

  /** Commands, the tick, the handover to the primary, analysis runs: one reconcile's work. */
  async #run(
    handle: RolloutHandle,
    object: RolloutObject,
    target: Deployment,
    resave: boolean,
  ): Promise<WorkResult> {
    const { runner } = handle
    await this.#ensureServices(handle)
    await this.#commands(handle, object)
    const now = this.#now()
    await runner.tickOnce(now)
    if (resave)
      await runner.serial(() =>
        this.#store(handle.names.namespace).saveStatus(
          handle.names.rollout.name,
          runner.status,
          [],
        ),
      )
    await runner.serial(() => this.#handOver(handle))
    await this.#ensureServices(handle)
    await mirrorAnalysisRuns(this.#o.client, handle, runner.status)
    return { requeueAfterMs: this.#nextTickMs(handle, target) }
  }

  /**
   * When to look again. At the tick rate only while time itself moves the rollout: analysis
   * measuring, a timed pause, a blue-green preview promoting itself after a delay, a scale-down
   * due. Waiting for replicas (or for the primary to take over) is woken by the informers when
   * pods change, so a slower look (5 ticks) only guards the progress deadline. Waiting for a person,
   * or settled: the resync rate — any change to the Rollout wakes it at once.
   */
  #nextTickMs(handle: RolloutHandle, target: Deployment): number {
    const s = handle.runner.status
    const plan = handle.runner.plan
    const now = this.#now()
    const analysing =
      s.analyses.background?.phase === 'Running' || s.analyses.step?.phase === 'Running'
    const step =
      plan.strategy.kind === 'canary' ? plan.strategy.steps[s.currentStepIndex] : undefined
    const timedPause =
      s.phase === 'Progressing' && step?.kind === 'pause' && step.durationSeconds !== undefined
    const autoPromoting =
      plan.strategy.kind === 'blueGreen' &&
      plan.strategy.autoPromotionSeconds !== undefined &&
      s.readySince !== null
    const settled =
      (s.phase === 'Healthy' || s.phase === 'RolledBack') && !this.#targetPending(handle, target)
    let next: number
    if (analysing || timedPause || autoPromoting) next = this.#o.tickMs
    else if (settled || s.phase === 'Paused') next = this.#o.resyncMs
    else next = Math.min(this.#o.resyncMs, 5 * this.#o.tickMs)
    for (const at of Object.values(s.scaleDownAt)) next = Math.min(next, Math.max(0, at - now) + 50)
    return next
  }

  /** The target still runs replicas it should not (waiting for the primary to take over). */
  #targetPending(handle: RolloutHandle, target: Deployment): boolean {
    const s = handle.runner.status
    return (
      handle.targetRevision !== s.canaryRevision &&
      (target.spec.replicas ?? 1) > 0 &&
      !(handle.stableRouted === 'primary' && handle.driver.primaryServes(s.stableRevision))
    )
  }

  /** Moves stable's traffic to where it belongs (the primary, once it serves), then resizes. */
  async #handOver(handle: RolloutHandle): Promise<void> {
    const s = handle.runner.status
    if (s.stableRevision === null) return
    const want: Backend = handle.driver.stableBackend()
    if (handle.stableRouted !== undefined && handle.stableRouted !== want)
      await handle.router.apply(s.traffic)
    await handle.driver.sync()
  }

  /** Applies the Services when first handled and whenever the apex must select other pods. */
  async #ensureServices(handle: RolloutHandle): Promise<void> {
    const spec = this.#spec(handle.object)
    const apex: Backend | null = !hasMeshRouter(spec)
      ? null
      : handle.runner.status.stableRevision === null
        ? 'canary'
        : handle.driver.stableBackend()
    if (handle.apexApplied !== undefined && handle.apexApplied === apex) return
    await applyServices(
      this.#o.client,
      handle.names,
      handle.selectors,
      { port: serviceOf(spec).port, name: 'http' },
      handle.targetPort,
      apex,
    )
    handle.apexApplied = apex
  }

  async #commands(handle: RolloutHandle, object: RolloutObject): Promise<void> {
    const { runner, book } = handle
    const plan = runner.plan
    const pending: { name: string; value: string; command: RolloutCommand; actor: string }[] =
      newCommands(object.metadata.annotations, book.commands).map(({ name, value }) => ({
        name,
        value,
        command: commandOf(name, value),
        actor: actorOf(value),
      }))
    if (plan.paused) book.pausedBySpec = true
    else if (book.pausedBySpec === true) {
      delete book.pausedBySpec
      if (runner.status.phase === 'Paused' && runner.status.pause?.reason === 'UserPause')
        pending.unshift({ name: '', value: '', command: { type: 'resume' }, actor: 'spec.paused' })
    }
    for (const p of pending) {
      // The engine's transition table decides (a pure check); a refusal changes nothing else.
      let refusal: string | undefined
      try {
        applyCommand(runner.plan, runner.status, p.command, this.#now())
      } catch (err) {
        if (!(err instanceof KanariError)) throw err
        refusal = err.hint === undefined ? err.message : `${err.message} (${err.hint})`
      }
      const before = { commands: { ...book.commands }, lastCommand: book.lastCommand }
      if (p.name !== '') {
        book.commands[p.name] = p.value
        book.lastCommand = {
          command: p.name,
          value: p.value,
          accepted: refusal === undefined,
          message: refusal ?? 'accepted',
        }
      }
      try {
        if (refusal === undefined) await runner.command(p.command, this.#now(), p.actor)
        else {
          // Saved with the status so `kubectl kanari` can tell the user.
          await runner.serial(() =>
            this.#store(handle.names.namespace).saveStatus(
              handle.names.rollout.name,
              runner.status,
              [],
            ),
          )
          this.#o.recorder.record(RESOURCES.rollouts, object, {
            type: 'Warning',
            reason: 'CommandRefused',
            action: 'Command',
            note: refusal,
          })
        }
      } catch (err) {
        // Not saved: the command is taken up again next time.
        book.commands = before.commands
        if (before.lastCommand === undefined) delete book.lastCommand
        else book.lastCommand = before.lastCommand
        throw err
      }
    }
  }

  /**
   * A Rollout deleted mid-way: all traffic back on stable (the primary), and the primary and the
   * Services it needs released from the Rollout so the garbage collector leaves them serving.
   */
  async #finalize(key: string, object: RolloutObject): Promise<void> {
    const ns = object.metadata.namespace ?? 'default'
    const handle = this.handles.get(key)
    if ((object.metadata.finalizers ?? []).includes(FINALIZER)) {
      if (handle !== undefined && typeof handle.router.verify === 'function') {
        const s = handle.runner.status
        if (s.stableRevision !== null) {
          try {
            await handle.runner.serial(() =>
              handle.router.apply({
                stableRevision: s.stableRevision,
                canaryRevision: null,
                canaryWeight: 0,
                headerRoutes: [],
                mirror: null,
              }),
            )
          } catch (err) {
            this.#o.log(
              `rollout ${key}: could not put traffic back on stable before deletion: ${err instanceof Error ? err.message : String(err)}`,
            )
          }
        }
        const { target, service } = handle.names
        for (const [resource, name] of [
          [RESOURCES.deployments, primaryName(target)],
          [RESOURCES.services, primaryName(service)],
          [RESOURCES.services, service],
        ] as const) {
          try {
            await this.#o.client.patch(resource, ns, name, { metadata: { ownerReferences: null } })
          } catch (err) {
            if (!isNotFound(err)) throw err
          }
        }
      }
      const finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== FINALIZER)
      await this.#o.client.patch(RESOURCES.rollouts, ns, object.metadata.name, {
        metadata: { finalizers, resourceVersion: object.metadata.resourceVersion },
      })
    }
    this.handles.delete(key)
  }
}

/** A router that owns its own routing object (the apex then simply selects stable's pods). */
function hasMeshRouter(spec: RolloutSpec): boolean {
  const r = spec.trafficRouting
  return (
    r?.gatewayAPI !== undefined ||
    r?.istio !== undefined ||
    r?.nginx !== undefined ||
    r?.smi !== undefined
  )
}
