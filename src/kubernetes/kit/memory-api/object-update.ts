/**
 * What an update of the in-memory API makes of the stored object: through the status subresource
 * only the status changes; through the main resource everything but the server's fields (uid,
 * creation and deletion times, generation) and, where there is a status subresource, the status.
 * The generation goes up when anything outside metadata and status changed; a deleted object
 * takes no new finalizers (422, as the real server answers).
 */
import type { KubeObject } from '../types.js'
import { invalid, type RequestAt } from './status-errors.js'

/** What of an object a spec change is: anything but metadata and status. */
const specOf = ({ metadata: _m, status: _s, ...rest }: KubeObject): string => JSON.stringify(rest)

export function nextObject(
  at: RequestAt,
  old: KubeObject,
  candidate: KubeObject,
  subresource: string | undefined,
  hasStatusSubresource: boolean,
): KubeObject {
  if (subresource === 'status') {
    const next = structuredClone({ ...old, status: candidate.status })
    if (candidate.status === undefined) delete next.status
    return next
  }
  const { managedFields: _mf, ...meta } = candidate.metadata as KubeObject['metadata'] & {
    managedFields?: unknown
  }
  const next = structuredClone({
    ...candidate,
    apiVersion: old.apiVersion,
    kind: old.kind,
    metadata: {
      ...meta,
      name: old.metadata.name,
      ...(old.metadata.namespace === undefined ? {} : { namespace: old.metadata.namespace }),
      ...(old.metadata.uid === undefined ? {} : { uid: old.metadata.uid }),
      ...(old.metadata.creationTimestamp === undefined
        ? {}
        : { creationTimestamp: old.metadata.creationTimestamp }),
    },
  }) as KubeObject
  delete next.metadata.deletionTimestamp
  delete next.metadata.deletionGracePeriodSeconds
  delete next.metadata.generation
  if (old.metadata.deletionTimestamp !== undefined)
    next.metadata.deletionTimestamp = old.metadata.deletionTimestamp
  if (old.metadata.deletionGracePeriodSeconds !== undefined)
    next.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds
  if (old.metadata.generation !== undefined) next.metadata.generation = old.metadata.generation
  if (hasStatusSubresource) {
    if (old.status === undefined) delete next.status
    else next.status = structuredClone(old.status)
  }
  if (old.metadata.deletionTimestamp !== undefined) {
    const added = (next.metadata.finalizers ?? []).filter(
      (f) => !(old.metadata.finalizers ?? []).includes(f),
    )
    if (added.length > 0)
      throw invalid(
        at,
        'metadata.finalizers',
        `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => `"${f}"`).join(', ')}}`,
      )
  }
  if (old.metadata.generation !== undefined && specOf(next) !== specOf(old))
    next.metadata.generation = old.metadata.generation + 1
  return next
}
