/**
 * What each input document is to `kanari import`: a kind it converts, another Kubernetes object it
 * leaves alone (a Service, an Ingress, a Deployment kept beside the Rollout), or input it cannot read.
 */
import type { LoadedDocument } from '../spec/load.js'
import { quote } from '../spec/shown-value.js'

/** The kinds `kanari import` converts, by API group version. */
export const IMPORTED_KINDS = {
  'argoproj.io/v1alpha1': ['Rollout', 'AnalysisTemplate', 'ClusterAnalysisTemplate'],
  'flagger.app/v1beta1': ['Canary', 'MetricTemplate', 'AlertProvider'],
} as const

export type ImportedKind = (typeof IMPORTED_KINDS)[keyof typeof IMPORTED_KINDS][number]

/** The converted kinds in words, for messages. */
export const KNOWN = Object.entries(IMPORTED_KINDS)
  .map(([apiVersion, kinds]) => `${kinds.join(', ')} (${apiVersion})`)
  .join(' and ')

/** A Kubernetes object of the input that is not converted, where it is and why. */
export interface LeftAlone {
  file: string
  line: number
  apiVersion: string
  kind: string
  name: string
  reason: string
}

const ROUTING = "a routing object: Kanari's router updates the one you have; apply it as it is"

/** Why an object is left alone, by kind; anything else gets OTHER. */
const REASONS: Record<string, string> = {
  Deployment:
    'applied as it is: the Kanari Rollout references a Deployment (spec.workload.targetRef)',
  Service:
    'Kanari creates the services it routes between; apply your own Services as they are, if you still need them',
  Ingress: ROUTING,
  VirtualService: ROUTING,
  DestinationRule: ROUTING,
  HTTPRoute: ROUTING,
  GRPCRoute: ROUTING,
  TrafficSplit: ROUTING,
  Gateway: ROUTING,
  Experiment:
    'Kanari runs no experiments; an analysis step compares the canary with stable instead',
  AnalysisRun: 'the record of one analysis Argo Rollouts ran, not a spec',
}
const OTHER = 'not an object kanari import converts; apply it as it is'

type Classified = { kind: ImportedKind } | { leftAlone: LeftAlone } | { problem: string }

export function classify(doc: LoadedDocument): Classified {
  const v = doc.value
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return { problem: 'is not a Kubernetes object (a mapping with apiVersion and kind)' }
  const { apiVersion, kind } = v as { apiVersion?: unknown; kind?: unknown }
  if (typeof kind !== 'string' || typeof apiVersion !== 'string')
    return { problem: 'is not a Kubernetes object: apiVersion and kind must be strings' }
  const kinds = (IMPORTED_KINDS as Record<string, readonly string[]>)[apiVersion]
  if (kinds?.includes(kind) === true) return { kind: kind as ImportedKind }
  // A kind it converts, in a version it does not read, is the object the user meant to convert:
  // leaving it out would be silent loss, so it is refused.
  const group = apiVersion.split('/')[0]
  const other = Object.entries(IMPORTED_KINDS).find(
    ([v, ks]) => v.split('/')[0] === group && (ks as readonly string[]).includes(kind),
  )
  if (other !== undefined)
    return {
      problem: `${kind} of ${quote(apiVersion)} is a version kanari import does not read; it reads ${other[0]}`,
    }
  const reason = apiVersion.startsWith('kanari.dev/')
    ? 'already a Kanari manifest: check it with `kanari lint`'
    : (REASONS[kind] ?? OTHER)
  return {
    leftAlone: {
      file: doc.file,
      line: doc.lineOf([]),
      apiVersion,
      kind,
      name: nameOf(doc),
      reason,
    },
  }
}

export function nameOf(doc: LoadedDocument): string {
  const name = (doc.value as { metadata?: { name?: unknown } }).metadata?.name
  return typeof name === 'string' ? name : '?'
}

export function formatLeftAlone(o: LeftAlone): string {
  return `${o.file}:${o.line} ${o.kind}/${o.name}: ${o.reason}`
}
