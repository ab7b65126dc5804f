/**
 * What a local rollout releases through: replicas behind its proxy, with builtin metrics from the
 * proxy's counters; or, for a flag rollout, a flag's split, with the outcomes apps report per variant.
 */
import type { MetricProvider, TrafficRouter, WorkloadDriver } from '../../controller/ports.js'
import { BuiltinMetricProvider } from '../driver/builtin-metrics.js'
import { FlagOutcomeMetrics, FlagRouter, FlagWorkloads } from '../driver/flag-rollout-ports.js'
import type { ProcessWorkloads } from '../driver/process-workloads.js'
import type { FlagService } from '../flags/flag-service.js'
import type { RolloutProxy } from './rollout-proxy.js'

export interface ReleasePorts {
  workloads: WorkloadDriver
  router: TrafficRouter
  builtin: MetricProvider
}

export function processReleasePorts(
  workloads: ProcessWorkloads,
  proxy: RolloutProxy,
): ReleasePorts {
  return {
    workloads,
    router: {
      capabilities: { weights: true, headerRoutes: true, mirror: true },
      apply: (traffic) => proxy.router().apply(traffic),
      verify: () => proxy.router().verify(),
    },
    builtin: new BuiltinMetricProvider(() => proxy.host),
  }
}

/** No processes, no proxy: the split of `key` moves, and the app reports outcomes per variant. */
export function flagReleasePorts(
  flags: FlagService,
  key: string,
  /** The variant a revision releases. */
  variantOf: (revision: number | null) => string | undefined,
  rollout: string,
): ReleasePorts {
  return {
    workloads: new FlagWorkloads(),
    router: new FlagRouter(flags, key, variantOf, `rollout/${rollout}`),
    builtin: new FlagOutcomeMetrics(flags, key, variantOf),
  }
}
