/**
 * The Rollout's finalizer: put on every Rollout the controller runs, so that a Rollout deleted
 * mid-way first gets all traffic back on stable (the primary), and the primary and the Services it
 * needs released from the Rollout so the garbage collector leaves them serving.
 */
import type { KubeApi } from '../kit/api.js'
import { isNotFound } from '../kit/errors.js'
import { RESOURCES } from '../kit/types.js'
import type { RolloutObject } from '../store/rollout-status-store.js'
import { primaryName } from '../workloads/deployment-workloads.js'
import type { RolloutHandle } from './rollout-handle.js'

export const FINALIZER = 'kanari.dev/restore-traffic'

/** Adds the finalizer to a Rollout that lacks it. */
export async function ensureFinalizer(client: KubeApi, object: RolloutObject): Promise<void> {
  const finalizers = object.metadata.finalizers ?? []
  if (finalizers.includes(FINALIZER)) return
  await client.patch(RESOURCES.rollouts, object.metadata.namespace, object.metadata.name, {
    metadata: { finalizers: [...finalizers, FINALIZER] },
  })
}

/**
 * Restores traffic and releases what must keep serving, then removes the finalizer (only from the
 * object as read: a stale one gets 409 and is done again from the fresh one).
 */
export async function finalizeRollout(
  client: KubeApi,
  object: RolloutObject,
  handle: RolloutHandle | undefined,
  log: (line: string) => void,
): Promise<void> {
  const ns = object.metadata.namespace ?? 'default'
  if (!(object.metadata.finalizers ?? []).includes(FINALIZER)) return
  if (handle !== undefined) {
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
        log(
          `rollout ${handle.key}: could not put traffic back on stable before deletion: ${err instanceof Error ? err.message : String(err)}`,
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
        await client.patch(resource, ns, name, { metadata: { ownerReferences: null } })
      } catch (err) {
        if (!isNotFound(err)) throw err
      }
    }
  }
  const finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== FINALIZER)
  await client.patch(RESOURCES.rollouts, ns, object.metadata.name, {
    metadata: { finalizers, resourceVersion: object.metadata.resourceVersion },
  })
}
