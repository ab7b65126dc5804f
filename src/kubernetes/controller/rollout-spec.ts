/**
 * A Rollout object as the spec layer sees it: the same validation `kanari lint` runs (every problem
 * at once, with its path), against the AnalysisTemplates of its namespace and the cluster's
 * ClusterAnalysisTemplates, then normalisation to the engine's plan.
 */
import type { RolloutPlan } from '../../engine/plan.js'
import {
  API_VERSION,
  normalizeRollout,
  validateDocuments,
  type AnalysisTemplate,
  type LoadedDocument,
  type Rollout,
} from '../../spec/index.js'
import type { RolloutSpec } from '../../spec/schema.js'
import type { KubeObject } from '../kit/types.js'

function document(file: string, object: KubeObject, kind: string): LoadedDocument {
  const m = object.metadata
  return {
    file,
    index: 0,
    value: {
      apiVersion: API_VERSION,
      kind,
      // Annotations carry commands and change often; the spec layer reads none of them.
      metadata: {
        name: m.name,
        ...(m.namespace === undefined ? {} : { namespace: m.namespace }),
        ...(m.labels === undefined ? {} : { labels: m.labels }),
      },
      spec: object.spec,
    },
    lineOf: () => 1,
  }
}

/** The templates a Rollout may use: its namespace's first, then the cluster's of another name. */
/** The spec of a Rollout object as the controller reads it (validated by `readRollout`). */
export function specOf(object: KubeObject): RolloutSpec {
  return (object.spec ?? {}) as unknown as RolloutSpec
}

export function templatesFor(
  namespaced: readonly KubeObject[],
  cluster: readonly KubeObject[],
): KubeObject[] {
  const names = new Set(namespaced.map((t) => t.metadata.name))
  return [...namespaced, ...cluster.filter((t) => !names.has(t.metadata.name))]
}

export interface ReadRollout {
  problems: string[]
  plan?: RolloutPlan
  rollout?: Rollout
}

/** Validates a Rollout object and, when it is valid, builds its plan for `revision`. */
export function readRollout(
  object: KubeObject,
  templates: readonly KubeObject[],
  revision: number,
): ReadRollout {
  const where = `rollout ${object.metadata.namespace ?? ''}/${object.metadata.name}`
  const docs = [
    document(where, object, 'Rollout'),
    ...templates.map((t) => document(`analysistemplate ${t.metadata.name}`, t, 'AnalysisTemplate')),
  ]
  const problems = validateDocuments(docs)
    .filter((p) => p.file === where)
    .map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`))
  if (problems.length > 0) return { problems }
  const rollout = docs[0]?.value as Rollout
  const plan = normalizeRollout(
    rollout,
    docs.slice(1).map((d) => d.value as AnalysisTemplate),
    { revision },
  )
  return { problems, plan, rollout }
}
