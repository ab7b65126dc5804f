/** Which traffic router a Rollout uses — one answer for validation and normalisation alike. */
import type { RouterName } from '../engine/vocabulary.js'
import type { RolloutSpec } from './schema.js'

/** The routers named under `spec.trafficRouting`, in the order written (validation rejects two). */
export function namedRouters(spec: RolloutSpec): string[] {
  return Object.keys(spec.trafficRouting ?? {}).filter(
    (k) => (spec.trafficRouting as Record<string, unknown> | undefined)?.[k] !== undefined,
  )
}

/** The router named, else the default: Kanari's proxy for a process workload, none on Kubernetes. */
export function routerOf(spec: RolloutSpec): RouterName {
  return (namedRouters(spec)[0] ??
    (spec.workload.process !== undefined ? 'proxy' : 'none')) as RouterName
}
