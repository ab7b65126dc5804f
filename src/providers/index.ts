/**
 * Metric providers that reach outside Kanari: Prometheus (one query, or per-version counters for the
 * sequential judge), web (HTTP + JSONPath) and command (a local program). A driver registers them
 * beside its own `builtin` provider in the runner's `MetricProviders`.
 */
import type { MetricProviders } from '../controller/ports.js'
import { CommandProvider, type CommandProviderOptions } from './command.js'
import { PrometheusProvider } from './prometheus/provider.js'
import { WebProvider } from './web.js'

export { CommandProvider, type CommandProviderOptions } from './command.js'
export { PrometheusProvider } from './prometheus/provider.js'
export { PrometheusClient } from './prometheus/client.js'
export { WebProvider } from './web.js'

/** prometheus, web and, where programs may run (local mode), command. */
export function externalMetricProviders(options: {
  command?: CommandProviderOptions | false
}): MetricProviders {
  const providers: MetricProviders = {
    prometheus: new PrometheusProvider(),
    web: new WebProvider(),
  }
  if (options.command !== false) providers.command = new CommandProvider(options.command ?? {})
  return providers
}
