/**
 * The runner's `WorkloadDriver` on Kubernetes, in Flagger's model: the user's Deployment (the
 * target) runs the revision being rolled out, Kanari's `<target>-primary` runs the stable one, and
 * the apex, primary and canary Services select them. The driver is level-based: every `scale`
 * brings both Deployments to what the persisted status asks — the primary on stable's template and
 * size, the target at the canary's size (zero once it is neither canary nor still serving stable).
 * It never touches the target's template; after a promotion the primary takes the new template and,
 * once it is rolled out and traffic has moved onto it, the target is scaled to zero.
 */
import type { WorkloadDriver } from '../../controller/ports.js'
import { InternalError, NotFoundError } from '../../errors.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { VersionObservation } from '../../engine/types.js'
import type { KubeApi } from '../kit/api.js'
import { RESOURCES, type KubeObject, type OwnerReference } from '../kit/types.js'
import {
  currentTemplateReplicas,
  rolledOut,
  type Deployment,
  type ReplicaSet,
} from './deployments.js'
import {
  configRefsOf,
  primaryConfigName,
  primaryLabels,
  primaryTemplate,
  type PodTemplate,
} from './pod-template.js'
import { readyEndpointCount } from './service-endpoints.js'

export const LABEL_ROLLOUT = 'kanari.dev/rollout'
export const LABEL_ROLE = 'kanari.dev/role'
export const ANNOTATION_REVISION = 'kanari.dev/revision'

/** One revision's workload, as recorded when it was first seen (a ControllerRevision). */
export interface RevisionTemplate {
  revision: number
  hash: string
  template: PodTemplate
  /** The target's selector labels then. */
  selector: Record<string, string>
}

/** Which Service serves a role: Kanari's primary, or the target's (the canary Service). */
export type Backend = 'primary' | 'canary'

export interface WorkloadNames {
  namespace: string
  rollout: { name: string; uid: string }
  /** The user's Deployment (`<target>-primary` is Kanari's). */
  target: string
  /** The apex Service (`spec.service.name`, else the target's name); `-primary`, `-canary` beside it. */
  service: string
}

export const primaryName = (target: string): string => `${target}-primary`
export const canaryServiceName = (target: string): string => `${target}-canary`

export function ownerRef(rollout: { name: string; uid: string }): OwnerReference {
  return {
    apiVersion: 'kanari.dev/v1alpha1',
    kind: 'Rollout',
    name: rollout.name,
    uid: rollout.uid,
    controller: true,
    blockOwnerDeletion: true,
  }
}

export interface WorkloadCaches {
  deployment(namespace: string, name: string): Deployment | undefined
  replicaSets(namespace: string): ReplicaSet[]
}

export interface WorkloadDeps {
  /** The status the runner persisted last (the driver acts on it). */
  status: () => RolloutStatus
  /** The revision the target's template (and configuration) is now. */
  targetRevision: () => number
  template: (revision: number) => RevisionTemplate | undefined
  /** Where the router sends stable's traffic now, as recorded in the routing object. */
  stableRouted: () => Backend | undefined
  /** Ms until pods the last route change took traffic from may go (0: now). See RouteDrain. */
  drainWaitMs: () => Promise<number>
}

export class DeploymentWorkloads implements WorkloadDriver {
  /**
   * Set by `sync` when it left pods running that the data plane may still send requests to: the
   * ms until they may go. The reconciler looks again then.
   */
  drainHeldMs: number | undefined

  constructor(
    private readonly client: KubeApi,
    private readonly names: WorkloadNames,
    private readonly caches: WorkloadCaches,
    private readonly deps: WorkloadDeps,
  ) {}

  get #primaryName(): string {
    return primaryName(this.names.target)
  }

  #target(): Deployment {
    const target = this.caches.deployment(this.names.namespace, this.names.target)
    if (target === undefined)
      throw new NotFoundError(
        `Deployment ${this.names.namespace}/${this.names.target} (spec.workload.targetRef) does not exist`,
        { hint: 'create it, or point spec.workload.targetRef at an existing Deployment' },
      )
    return target
  }

  #primary(): Deployment | undefined {
    return this.caches.deployment(this.names.namespace, this.#primaryName)
  }

  /** The revision the primary runs (from its annotation), or null when there is no primary. */
  primaryRevision(): number | null {
    const value = this.#primary()?.metadata.annotations?.[ANNOTATION_REVISION]
    return value === undefined ? null : Number(value)
  }

  /** The primary runs `revision`, fully rolled out at the size it was given. */
  primaryServes(revision: number | null): boolean {
    const primary = this.#primary()
    if (primary === undefined || revision === null || this.primaryRevision() !== revision)
      return false
    return (
      (primary.spec.replicas ?? 0) > 0 &&
      rolledOut(primary, this.caches.replicaSets(this.names.namespace))
    )
  }

  /**
   * Where stable's traffic belongs: the primary once it serves the stable revision; before that
   * (the first deploy, or right after a promotion) the target, which runs it.
   */
  stableBackend(status = this.deps.status()): Backend {
    if (this.primaryServes(status.stableRevision)) return 'primary'
    return this.deps.targetRevision() === status.stableRevision ? 'canary' : 'primary'
  }

  /** Whatever revision is named, both Deployments are brought to the persisted status. */
  scale(): Promise<void> {
    return this.sync()
  }

  async observe(revisions: number[]): Promise<Record<string, VersionObservation>> {
    const replicaSets = this.caches.replicaSets(this.names.namespace)
    const target = this.#target()
    const primary = this.#primary()
    const primaryRev = this.primaryRevision()
    const targetRev = this.deps.targetRevision()
    const out: Record<string, VersionObservation> = {}
    for (const revision of revisions) {
      const parts: VersionObservation[] = []
      if (primary !== undefined && primaryRev === revision)
        parts.push(await this.#served(currentTemplateReplicas(primary, replicaSets), 'primary'))
      if (targetRev === revision)
        parts.push(await this.#served(currentTemplateReplicas(target, replicaSets), 'canary'))
      const problem = parts.find((p) => p.problem !== undefined)?.problem
      out[String(revision)] = {
        desired: parts.reduce((n, p) => n + p.desired, 0),
        ready: parts.reduce((n, p) => n + p.ready, 0),
        crashLooping: false,
        ...(problem === undefined ? {} : { problem }),
      }
    }
    return out
  }

  /**
   * Replicas count as ready once the data plane can reach them: no more than the Service's ready
   * endpoints, so traffic is not moved to a backend whose endpoints are not published yet.
   */
  async #served(pods: VersionObservation, backend: Backend): Promise<VersionObservation> {
    if (pods.ready === 0) return pods
    const endpoints = await this.readyEndpoints(backend)
    return endpoints === undefined ? pods : { ...pods, ready: Math.min(pods.ready, endpoints) }
  }

  /** Ready endpoints of the backend's Service (undefined: it has no EndpointSlice to go by). */
  readyEndpoints(backend: Backend): Promise<number | undefined> {
    const service =
      backend === 'primary'
        ? primaryName(this.names.service)
        : canaryServiceName(this.names.service)
    return readyEndpointCount(this.client, this.names.namespace, service)
  }

  /** The data plane has let go of pods the last route change took traffic from (else held). */
  async #drained(): Promise<boolean> {
    const ms = await this.deps.drainWaitMs()
    if (ms > 0) this.drainHeldMs = Math.min(ms, this.drainHeldMs ?? ms)
    return ms === 0
  }

  /**
   * Brings the primary and the target to what the persisted status asks — except that pods the
   * data plane may still send requests to are left running until it has let go of them: the
   * primary's pods are replaced by another revision's only once stable's share was routed to the
   * target and that route drained, and the target shrinks only once the last route change drained.
   */
  async sync(): Promise<void> {
    this.drainHeldMs = undefined
    const status = this.deps.status()
    const stable = status.stableRevision
    const canary = status.canaryRevision
    const want = (revision: number | null): number =>
      revision === null ? 0 : (status.replicas[String(revision)] ?? 0)
    const target = this.#target()
    if (stable !== null && (await this.#mayRunOnPrimary(stable)))
      await this.#applyPrimary(stable, want(stable))
    const targetRevision = this.deps.targetRevision()
    const current = target.spec.replicas ?? 1
    let targetWant: number
    if (targetRevision === canary) targetWant = want(canary)
    else if (targetRevision === stable)
      // The target serves stable until the primary does and traffic has moved there.
      targetWant =
        this.primaryServes(stable) && this.deps.stableRouted() === 'primary' ? 0 : current
    else targetWant = 0
    if (targetWant > current || (targetWant < current && (await this.#drained())))
      await this.#scaleTarget(targetWant)
  }

  /**
   * The primary may take `revision` (replacing the pods of another one) when it has none, when
   * stable's share has nowhere else to go, or once that share was routed to the target and drained.
   */
  async #mayRunOnPrimary(revision: number): Promise<boolean> {
    const running = this.primaryRevision()
    if (running === null || running === revision) return true
    if (this.stableBackend() === 'primary') return true
    return this.deps.stableRouted() === 'canary' && (await this.#drained())
  }

  async #scaleTarget(replicas: number): Promise<void> {
    await this.client.patch(
      RESOURCES.deployments,
      this.names.namespace,
      this.names.target,
      { spec: { replicas } },
      'scale',
    )
  }

  async #applyPrimary(revision: number, replicas: number): Promise<void> {
    const primary = this.#primary()
    if (
      primary !== undefined &&
      this.primaryRevision() === revision &&
      (primary.spec.replicas ?? 1) === replicas
    )
      return
    const tpl = this.deps.template(revision)
    if (tpl === undefined)
      throw new InternalError(
        `rollout ${this.names.rollout.name}: no recorded template for revision ${revision}`,
      )
    if (this.primaryRevision() !== revision) await this.#copyConfigs(tpl.template)
    const target = this.#target()
    const selector = primaryLabels(tpl.selector, tpl.selector)
    const body: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: this.#primaryName,
        namespace: this.names.namespace,
        labels: { [LABEL_ROLLOUT]: this.names.rollout.name, [LABEL_ROLE]: 'primary' },
        annotations: { [ANNOTATION_REVISION]: String(revision), 'kanari.dev/hash': tpl.hash },
        ownerReferences: [ownerRef(this.names.rollout)],
      },
      spec: {
        replicas,
        selector: { matchLabels: selector },
        template: primaryTemplate(tpl.template, tpl.selector, {
          [ANNOTATION_REVISION]: String(revision),
        }),
        ...copyFields(target.spec, [
          'strategy',
          'minReadySeconds',
          'progressDeadlineSeconds',
          'revisionHistoryLimit',
        ]),
      },
    }
    await this.client.apply(RESOURCES.deployments, this.names.namespace, body)
  }

  /** Copies the ConfigMaps and Secrets the template references to the primary's own names. */
  async #copyConfigs(template: PodTemplate): Promise<void> {
    const refs = configRefsOf(template)
    const kinds = [
      ['configMaps', RESOURCES.configMaps, 'ConfigMap'],
      ['secrets', RESOURCES.secrets, 'Secret'],
    ] as const
    for (const [key, resource, kind] of kinds) {
      for (const name of refs[key]) {
        const source = await this.client.find<KubeObject>(resource, this.names.namespace, name)
        if (source === undefined) continue // an optional reference; the pods say if it was not
        await this.client.apply(resource, this.names.namespace, {
          apiVersion: 'v1',
          kind,
          metadata: {
            name: primaryConfigName(name),
            namespace: this.names.namespace,
            labels: { [LABEL_ROLLOUT]: this.names.rollout.name, [LABEL_ROLE]: 'primary' },
            ownerReferences: [ownerRef(this.names.rollout)],
          },
          ...copyFields(source, ['data', 'binaryData', 'type', 'stringData']),
        })
      }
    }
  }
}

function copyFields(source: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k]
  return out
}
