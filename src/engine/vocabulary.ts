/**
 * The engine's vocabularies — webhook types, notification providers, severities, routers and what each
 * router can do — as `as const` data: the one source the plan's types and the spec's schemas use.
 */

/** When a webhook is called during a rollout (Flagger's webhook types). */
export const WEBHOOK_TYPES = [
  'confirm-rollout',
  'pre-rollout',
  'rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'post-rollout',
  'rollback',
  'event',
] as const

export const NOTIFICATION_PROVIDERS = ['slack', 'msteams', 'discord', 'webhook'] as const

export const SEVERITIES = ['info', 'warn', 'error'] as const

/** The traffic routers a Rollout can name under `spec.trafficRouting`. */
export const ROUTERS = ['proxy', 'gatewayAPI', 'istio', 'nginx', 'smi', 'none'] as const
export type RouterName = (typeof ROUTERS)[number]

/** Which traffic operations a router can carry out; the engine skips what its router cannot do. */
export interface RouterCapabilities {
  headerRoutes: boolean
  mirror: boolean
  weights: boolean
}

/** Router capabilities: which step kinds each traffic router can carry out. */
export const ROUTER_CAPABILITIES = {
  proxy: { headerRoutes: true, mirror: true, weights: true },
  gatewayAPI: { headerRoutes: true, mirror: true, weights: true },
  istio: { headerRoutes: true, mirror: true, weights: true },
  nginx: { headerRoutes: true, mirror: false, weights: true },
  smi: { headerRoutes: false, mirror: false, weights: true },
  none: { headerRoutes: false, mirror: false, weights: true },
} as const satisfies Record<RouterName, RouterCapabilities>

/** Manual gates (`kanari gate open NAME`): names as Kubernetes names objects. */
export const GATE_NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'
export const GATE_NAME_MAX_LENGTH = 253

/** Methods a load test may send. */
export const LOADTEST_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
] as const

/**
 * Bounds of a load run (`kanari loadtest`, a `loadtest` webhook, the daemon's endpoint): it always
 * stops by itself, and never has more than `maxConcurrency` requests in flight.
 */
export const LOADTEST_LIMITS = {
  maxRatePerSecond: 10_000,
  maxDurationSeconds: 3600,
  maxConcurrency: 1000,
} as const

/** What a load run does when its spec leaves a field out. */
export const LOADTEST_DEFAULTS = {
  ratePerSecond: 10,
  durationSeconds: 60,
  concurrency: 10,
  method: 'GET',
  path: '/',
} as const
