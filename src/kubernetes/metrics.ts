/**
 * The metric providers the Kubernetes controller measures with: Prometheus and web. Kubernetes has
 * no builtin (proxy) metrics, and the controller runs no programs of the spec's (`command` is local
 * mode's only).
 */
import type { MetricProviders } from '../controller/ports.js'
import { externalMetricProviders } from '../providers/index.js'

export function kubernetesMetricProviders(): MetricProviders {
  return externalMetricProviders({ command: false })
}
