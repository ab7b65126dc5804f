/** Which traffic router a Rollout uses — one answer for validation and normalisation alike. */
import { ROUTERS, type RouterName } from '../engine/vocabulary.js'
import type { RolloutSpec } from './schema.js'

/** What the router depends on: the routers named and the kind of workload. */
export type RoutedSpec = Pick<RolloutSpec, 'workload' | 'trafficRouting'>

/**
 * The routers named under `spec.trafficRouting`, in the order written (validation rejects two). Keys
 * that name no router are not routers: validation reports them as unknown fields.
 */
export function namedRouters(spec: RoutedSpec): RouterName[] {
  const routing: Partial<Record<string, unknown>> = spec.trafficRouting ?? {}
  return Object.keys(routing).filter(
    (k): k is RouterName => (ROUTERS as readonly string[]).includes(k) && routing[k] !== undefined,
  )
}

/** The router named, else the default: Kanari's proxy for a process workload, none on Kubernetes. */
export function routerOf(spec: RoutedSpec): RouterName {
  return (
    namedRouters(spec)[0] ??
    (spec.workload.process !== undefined
      ? 'proxy'
      : spec.workload.flag !== undefined
        ? 'flag'
        : 'none')
  )
}
