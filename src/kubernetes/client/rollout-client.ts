/**
 * What `kubectl kanari` does against a cluster: read Rollouts (one, a namespace's, all), give
 * commands as annotations and wait for the controller's answer, roll the target back to a recorded
 * revision (undo) or change its images (set image) — the user's Deployment is changed as `kubectl
 * rollout undo` and `kubectl set image` would, and the controller sees a new revision.
 */
import { ConflictError, DependencyError, InputError, NotFoundError } from '../../errors.js'
import { COMMAND_PREFIX, type CommandAnnotation } from '../controller/commands.js'
import type { ControllerBook } from '../controller/rollout-handle.js'
import type { ControllerRevision } from '../controller/target-revision.js'
import { resourcePath, type KubeApi } from '../kit/api.js'
import { KubeClient, type KubeClientOptions } from '../kit/client.js'
import { isNotFound } from '../kit/errors.js'
import { RESOURCES, type KubeObject } from '../kit/types.js'
import type { RolloutObject } from '../store/rollout-status-store.js'
import type { Deployment } from '../workloads/deployments.js'
import { LABEL_ROLLOUT, primaryName } from '../workloads/deployment-workloads.js'

export interface CommandOutcome {
  rollout: string
  namespace: string
  command: CommandAnnotation
  value: string
  /** Whether the controller answered within the wait; undefined when not waited for. */
  accepted?: boolean
  message: string
}

export interface VersionReplicas {
  deployment: string
  revision: number | null
  replicas: number
  ready: number
}

export interface RolloutKubeView {
  name: string
  namespace: string
  target: string
  router: string
  rollout: RolloutObject
  primary: VersionReplicas | null
  canary: VersionReplicas | null
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class RolloutClient {
  constructor(
    readonly client: KubeApi,
    readonly namespace: string,
  ) {}

  static async connect(
    options: KubeClientOptions & { namespace?: string | undefined },
  ): Promise<RolloutClient> {
    const client = await KubeClient.connect(options)
    return new RolloutClient(client, options.namespace ?? client.defaultNamespace)
  }

  async close(): Promise<void> {
    await this.client.close()
  }

  async get(name: string, namespace = this.namespace): Promise<RolloutObject> {
    try {
      return await this.client.get<RolloutObject>(RESOURCES.rollouts, namespace, name)
    } catch (err) {
      if (isNotFound(err))
        throw new NotFoundError(`rollout ${name} not found in namespace ${namespace}`, {
          hint: 'kubectl kanari list -A shows every rollout; -n picks the namespace',
        })
      throw err
    }
  }

  /** Rollouts of a namespace, or of every namespace when `namespace` is null. */
  async list(namespace: string | null = this.namespace): Promise<RolloutObject[]> {
    const list = await this.client.list<RolloutObject>(RESOURCES.rollouts, namespace ?? undefined)
    return list.items.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    )
  }

  /** The Rollout with the replicas of its primary and target, for `get`. */
  async view(name: string, namespace = this.namespace): Promise<RolloutKubeView> {
    const rollout = await this.get(name, namespace)
    const spec = rollout.spec as
      | { workload?: { targetRef?: { name?: string } }; trafficRouting?: Record<string, unknown> }
      | undefined
    const target = spec?.workload?.targetRef?.name ?? name
    const replicasOf = async (deployment: string, revision: number | null) => {
      const d = await this.client.find<Deployment>(RESOURCES.deployments, namespace, deployment)
      return d === undefined
        ? null
        : {
            deployment,
            revision,
            replicas: d.spec.replicas ?? 1,
            ready: d.status?.readyReplicas ?? 0,
          }
    }
    const s = rollout.status
    const primaryRevision = await this.client
      .find<Deployment>(RESOURCES.deployments, namespace, primaryName(target))
      .then((d) => d?.metadata.annotations?.['kanari.dev/revision'])
    return {
      name,
      namespace,
      target,
      router: Object.keys(spec?.trafficRouting ?? {})[0] ?? 'none',
      rollout,
      primary: await replicasOf(
        primaryName(target),
        primaryRevision === undefined ? null : Number(primaryRevision),
      ),
      canary: await replicasOf(target, s?.revision ?? null),
    }
  }

  /**
   * Gives a command: a new value of its annotation. With `waitSeconds` > 0, waits for the
   * controller to record it and says whether it was accepted.
   */
  async command(
    name: string,
    command: CommandAnnotation,
    options: { actor: string; reason?: string; waitSeconds: number; namespace?: string },
  ): Promise<CommandOutcome> {
    const namespace = options.namespace ?? this.namespace
    await this.get(name, namespace)
    const value = `${new Date().toISOString()} by ${options.actor.replace(/\s+/g, '_')}${options.reason === undefined ? '' : ` reason=${options.reason}`}`
    await this.client.patch(RESOURCES.rollouts, namespace, name, {
      metadata: { annotations: { [COMMAND_PREFIX + command]: value } },
    })
    const outcome: CommandOutcome = {
      rollout: name,
      namespace,
      command,
      value,
      message: `${command} requested`,
    }
    if (options.waitSeconds <= 0) return outcome
    const end = Date.now() + options.waitSeconds * 1000
    while (Date.now() < end) {
      const book = (await this.get(name, namespace)).status?.kanari as
        Partial<ControllerBook> | undefined
      const last = book?.lastCommand
      if (book?.commands?.[command] === value && last?.value === value)
        return { ...outcome, accepted: last.accepted, message: last.message }
      await sleep(250)
    }
    throw new DependencyError(
      `the controller did not answer ${command} of rollout ${namespace}/${name} within ${options.waitSeconds}s (the request stays on the Rollout)`,
      {
        hint: 'is the controller running? kubectl get pods -n kanari-system; --wait 0 gives the command without waiting',
      },
    )
  }

  /** Revisions recorded for a rollout (ControllerRevisions), newest last. */
  async revisions(name: string, namespace = this.namespace): Promise<ControllerRevision[]> {
    const list = await this.client.list<ControllerRevision>(
      RESOURCES.controllerRevisions,
      namespace,
      { labelSelector: `${LABEL_ROLLOUT}=${name}` },
    )
    return list.items.sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0))
  }

  /**
   * Puts an earlier revision's pod template back on the target Deployment (default: the revision
   * before the current one). Returns the revision restored.
   */
  async undo(
    name: string,
    toRevision: number | undefined,
    namespace = this.namespace,
  ): Promise<{ revision: number; target: string }> {
    const rollout = await this.get(name, namespace)
    const current = rollout.status?.revision ?? 0
    const revisions = await this.revisions(name, namespace)
    const wanted =
      toRevision ?? [...revisions].reverse().find((r) => (r.revision ?? 0) < current)?.revision
    const record = revisions.find((r) => r.revision === wanted)
    if (wanted === undefined || record?.data?.template === undefined)
      throw new NotFoundError(
        toRevision === undefined
          ? `rollout ${namespace}/${name} has no revision before ${current} to go back to`
          : `rollout ${namespace}/${name} has no recorded revision ${toRevision}`,
        {
          hint: `recorded revisions: ${revisions.map((r) => r.revision).join(', ') || 'none'}`,
        },
      )
    if (wanted === current)
      throw new ConflictError(`rollout ${namespace}/${name} is already at revision ${wanted}`)
    const target = this.#target(rollout)
    await this.client.patch(RESOURCES.deployments, namespace, target, [
      { op: 'replace', path: '/spec/template', value: record.data.template },
    ])
    return { revision: wanted, target }
  }

  /** Sets container images of the target Deployment (`container=image`; `*=image` for all). */
  async setImage(
    name: string,
    assignments: string[],
    namespace = this.namespace,
  ): Promise<{ target: string; changed: string[] }> {
    const rollout = await this.get(name, namespace)
    const target = this.#target(rollout)
    const deployment = await this.client.get<Deployment>(RESOURCES.deployments, namespace, target)
    const containers = (deployment.spec.template.spec?.containers ?? []) as {
      name: string
      image?: string
    }[]
    const patch: unknown[] = []
    const changed: string[] = []
    for (const a of assignments) {
      const i = a.indexOf('=')
      if (i <= 0 || i === a.length - 1)
        throw new InputError(`"${a}" is not container=image`, {
          hint: 'e.g. kubectl kanari set image web app=registry.example/app:2 (or *=image for every container)',
        })
      const container = a.slice(0, i)
      const image = a.slice(i + 1)
      const matches = containers
        .map((c, index) => ({ c, index }))
        .filter(({ c }) => container === '*' || c.name === container)
      if (matches.length === 0)
        throw new InputError(`Deployment ${namespace}/${target} has no container "${container}"`, {
          hint: `its containers: ${containers.map((c) => c.name).join(', ')}`,
        })
      for (const { c, index } of matches) {
        patch.push({
          op: 'replace',
          path: `/spec/template/spec/containers/${index}/image`,
          value: image,
        })
        changed.push(`${c.name}=${image}`)
      }
    }
    await this.client.patch(RESOURCES.deployments, namespace, target, patch)
    return { target, changed }
  }

  #target(rollout: RolloutObject): string {
    const spec = rollout.spec as { workload?: { targetRef?: { name?: string } } } | undefined
    const target = spec?.workload?.targetRef?.name
    if (target === undefined)
      throw new InputError(`rollout ${rollout.metadata.name} names no targetRef Deployment`)
    return target
  }

  /** Calls `onChange` with the Rollout each time it changes, until the signal aborts. */
  async watch(
    name: string,
    onChange: (rollout: RolloutObject) => void,
    signal: AbortSignal,
    namespace = this.namespace,
  ): Promise<void> {
    let resourceVersion = (await this.get(name, namespace)).metadata.resourceVersion
    const stopped = (): boolean => signal.aborted
    while (!stopped()) {
      try {
        await this.client.watch(
          resourcePath({ ...RESOURCES.rollouts, namespace }),
          { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: true },
          (event) => {
            resourceVersion = event.object.metadata.resourceVersion
            if (event.type === 'ADDED' || event.type === 'MODIFIED') onChange(event.object)
          },
          { signal },
        )
      } catch {
        if (stopped()) return
        // A lost watch starts again from the object as it is now.
        resourceVersion = (await this.get(name, namespace)).metadata.resourceVersion
      }
    }
  }
}

export type { KubeObject }
