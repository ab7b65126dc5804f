/**
 * A Rollout's target and its revision: the Deployment `spec.workload.targetRef` names (or why it
 * cannot be rolled out), the hash of its pod template with the ConfigMaps and Secrets it references,
 * and the revision that hash is — a new one recorded as a ControllerRevision, the latest
 * REVISIONS_KEPT remembered in the controller's book.
 */
import { assignRevision } from '../../controller/revisions.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { KubeApi } from '../kit/api.js'
import type { Informer } from '../kit/informer.js'
import { RESOURCES, type KubeObject } from '../kit/types.js'
import type { RolloutObject } from '../store/rollout-status-store.js'
import type { Deployment } from '../workloads/deployments.js'
import {
  LABEL_ROLLOUT,
  ownerRef,
  type RevisionTemplate,
} from '../workloads/deployment-workloads.js'
import { configRefsOf, revisionHash, type PodTemplate } from '../workloads/pod-template.js'
import type { ControllerBook } from './rollout-handle.js'
import { specOf } from './rollout-spec.js'

/** Revisions remembered per rollout (older ones can no longer be reverted to without steps). */
export const REVISIONS_KEPT = 20

export type ControllerRevision = KubeObject & {
  revision?: number
  data?: { template?: PodTemplate; selector?: Record<string, string>; hash?: string }
}

/** The target Deployment, or what is wrong with the reference to it. */
export function targetOf(
  object: RolloutObject,
  deployments: Pick<Informer<Deployment>, 'get'>,
): Deployment | string {
  const spec = specOf(object)
  const name = spec.workload.targetRef?.name
  const ns = object.metadata.namespace ?? 'default'
  if (spec.workload.flag !== undefined)
    return 'spec.workload.flag: flag rollouts run in local mode (the daemon serves the flag); on Kubernetes, roll out a Deployment with spec.workload.targetRef'
  if (name === undefined) return 'spec.workload.targetRef: names no Deployment'
  const target = deployments.get(ns, name)
  if (target === undefined)
    return `spec.workload.targetRef: Deployment ${ns}/${name} does not exist (create it, or fix the name)`
  if (Object.keys(target.spec.selector.matchLabels ?? {}).length === 0)
    return `spec.workload.targetRef: Deployment ${ns}/${name} selects its pods without matchLabels; Kanari needs matchLabels to select them`
  return target
}

/** The hash of the target's pod template and the ConfigMaps and Secrets it references. */
async function targetHash(client: KubeApi, target: Deployment): Promise<string> {
  const ns = target.metadata.namespace ?? 'default'
  const refs = configRefsOf(target.spec.template)
  const configMaps: Record<string, unknown> = {}
  const secrets: Record<string, unknown> = {}
  for (const name of refs.configMaps) {
    const cm = await client.find<KubeObject>(RESOURCES.configMaps, ns, name)
    configMaps[name] = cm === undefined ? null : { data: cm.data, binaryData: cm.binaryData }
  }
  for (const name of refs.secrets) {
    const secret = await client.find<KubeObject>(RESOURCES.secrets, ns, name)
    secrets[name] = secret === undefined ? null : { data: secret.data }
  }
  return revisionHash(target.spec.template, { configMaps, secrets })
}

/** Templates of the revisions recorded as ControllerRevisions. */
export function recordedTemplates(
  revisions: Pick<Informer<ControllerRevision>, 'list'>,
  namespace: string,
  rollout: string,
): Map<number, RevisionTemplate> {
  const out = new Map<number, RevisionTemplate>()
  for (const cr of revisions.list(namespace)) {
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
export async function targetRevision(
  client: KubeApi,
  object: RolloutObject,
  status: RolloutStatus,
  book: ControllerBook,
  templates: Map<number, RevisionTemplate>,
  target: Deployment,
): Promise<number> {
  const hash = await targetHash(client, target)
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
    await client.apply(RESOURCES.controllerRevisions, ns, {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${object.metadata.name}-${revision}`,
        namespace: ns,
        labels: { [LABEL_ROLLOUT]: object.metadata.name },
        ownerReferences: [ownerRef({ name: object.metadata.name, uid: object.metadata.uid ?? '' })],
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
