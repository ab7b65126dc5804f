/**
 * Reading Deployments: the replicas of the template a Deployment runs now (its current
 * ReplicaSet's, not the old ones still draining), and why they are not coming up when the
 * Deployment says so (its progress deadline).
 */
import type { VersionObservation, WorkloadProblem } from '../../engine/types.js'
import type { KubeObject, OwnerReference } from '../kit/types.js'
import type { PodTemplate } from './pod-template.js'

export type Deployment = KubeObject & {
  spec: {
    replicas?: number
    selector: { matchLabels?: Record<string, string> }
    template: PodTemplate
    strategy?: unknown
    minReadySeconds?: number
    progressDeadlineSeconds?: number
    revisionHistoryLimit?: number
  }
  status?: {
    observedGeneration?: number
    replicas?: number
    updatedReplicas?: number
    readyReplicas?: number
    availableReplicas?: number
    conditions?: { type: string; status: string; reason?: string; message?: string }[]
  }
}

export type ReplicaSet = KubeObject & {
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number }
}

const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision'

function ownedBy(rs: ReplicaSet, owner: KubeObject): boolean {
  return (rs.metadata.ownerReferences ?? []).some(
    (r: OwnerReference) => r.uid === owner.metadata.uid && r.controller === true,
  )
}

/** Desired and ready replicas of the template the Deployment runs now. */
export function currentTemplateReplicas(
  deployment: Deployment,
  replicaSets: readonly ReplicaSet[],
): VersionObservation {
  const desired = deployment.spec.replicas ?? 1
  const status = deployment.status ?? {}
  const problem = progressProblem(deployment)
  const observed = (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0)
  let ready = 0
  if (observed) {
    const revision = deployment.metadata.annotations?.[REVISION_ANNOTATION]
    const current = replicaSets.find(
      (rs) =>
        ownedBy(rs, deployment) &&
        revision !== undefined &&
        rs.metadata.annotations?.[REVISION_ANNOTATION] === revision,
    )
    if (current !== undefined) ready = current.status?.readyReplicas ?? 0
    else if (
      // No ReplicaSet seen yet: trust the Deployment only when it has nothing old left.
      status.updatedReplicas === status.replicas
    )
      ready = Math.min(status.readyReplicas ?? 0, status.updatedReplicas ?? 0)
  }
  return {
    desired,
    ready: Math.min(ready, desired),
    crashLooping: false,
    ...(problem === undefined ? {} : { problem }),
  }
}

/** The Deployment's own verdict that its new pods are not coming up. */
function progressProblem(deployment: Deployment): WorkloadProblem | undefined {
  const progressing = deployment.status?.conditions?.find((c) => c.type === 'Progressing')
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded')
    return {
      reason: 'NotReady',
      message: `Deployment ${deployment.metadata.name}: ${progressing.message ?? 'progress deadline exceeded'}`,
      hint: `kubectl describe deployment ${deployment.metadata.name} -n ${deployment.metadata.namespace ?? 'default'} and its pods' events show why`,
    }
  return undefined
}

/** Every replica of the current template ready, nothing old left, the last change observed. */
export function rolledOut(deployment: Deployment, replicaSets: readonly ReplicaSet[]): boolean {
  const s = deployment.status ?? {}
  const want = deployment.spec.replicas ?? 1
  return (
    (s.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    currentTemplateReplicas(deployment, replicaSets).ready >= want
  )
}
