/** The few Kubernetes object shapes the kit and the controller read, and the resources they use. */

export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  deletionGracePeriodSeconds?: number
  labels?: Record<string, string>
  annotations?: Record<string, string>
  finalizers?: string[]
  ownerReferences?: OwnerReference[]
  generateName?: string
}

export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
  [key: string]: unknown
}

export interface KubeList<T> {
  items: T[]
  metadata: { resourceVersion?: string; continue?: string }
}

/** Where a kind lives in the API: group ('' for core), version, plural. */
export interface ResourceRef {
  group: string
  version: string
  plural: string
  kind: string
}

const ref = (group: string, version: string, plural: string, kind: string): ResourceRef => ({
  group,
  version,
  plural,
  kind,
})

/** Every resource Kanari reads or writes (RBAC in deploy/ grants exactly these). */
export const RESOURCES = {
  rollouts: ref('kanari.dev', 'v1alpha1', 'rollouts', 'Rollout'),
  analysisTemplates: ref('kanari.dev', 'v1alpha1', 'analysistemplates', 'AnalysisTemplate'),
  clusterAnalysisTemplates: ref(
    'kanari.dev',
    'v1alpha1',
    'clusteranalysistemplates',
    'ClusterAnalysisTemplate',
  ),
  analysisRuns: ref('kanari.dev', 'v1alpha1', 'analysisruns', 'AnalysisRun'),
  deployments: ref('apps', 'v1', 'deployments', 'Deployment'),
  controllerRevisions: ref('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  services: ref('', 'v1', 'services', 'Service'),
  configMaps: ref('', 'v1', 'configmaps', 'ConfigMap'),
  secrets: ref('', 'v1', 'secrets', 'Secret'),
  pods: ref('', 'v1', 'pods', 'Pod'),
  namespaces: ref('', 'v1', 'namespaces', 'Namespace'),
  events: ref('events.k8s.io', 'v1', 'events', 'Event'),
  leases: ref('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  jobs: ref('batch', 'v1', 'jobs', 'Job'),
  replicaSets: ref('apps', 'v1', 'replicasets', 'ReplicaSet'),
  endpointSlices: ref('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice'),
  ingresses: ref('networking.k8s.io', 'v1', 'ingresses', 'Ingress'),
  httpRoutes: ref('gateway.networking.k8s.io', 'v1', 'httproutes', 'HTTPRoute'),
  virtualServices: ref('networking.istio.io', 'v1', 'virtualservices', 'VirtualService'),
  destinationRules: ref('networking.istio.io', 'v1', 'destinationrules', 'DestinationRule'),
  trafficSplits: ref('split.smi-spec.io', 'v1alpha2', 'trafficsplits', 'TrafficSplit'),
  crds: ref('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition'),
} as const

export function apiVersionOf(r: ResourceRef): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`
}
