/**
 * The metric providers the Kubernetes controller measures with: Prometheus, web, and Jobs run in the
 * rollout's namespace. Kubernetes has no builtin (proxy) metrics, and the controller runs no
 * programs of the spec's itself (`command` is local mode's only).
 */
import type { MetricProviders } from '../controller/ports.js'
import { externalMetricProviders } from '../providers/index.js'
import { JobMetricProvider } from './analysis/job-provider.js'
import type { KubeApi } from './kit/api.js'

export function kubernetesMetricProviders(client: KubeApi): MetricProviders {
  return { ...externalMetricProviders({ command: false }), job: new JobMetricProvider(client) }
}
