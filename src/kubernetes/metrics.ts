/**
 * The metric providers the Kubernetes controller measures with. Kubernetes has no builtin (proxy)
 * metrics: analyses there query a provider such as Prometheus.
 */
import type { MetricProviders } from '../controller/ports.js'

export function kubernetesMetricProviders(): MetricProviders {
  return {}
}
