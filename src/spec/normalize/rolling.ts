/** The rolling strategy as a plan: maxSurge and maxUnavailable in replicas, as Kubernetes rounds them. */
import type { RollingPlan } from '../../engine/plan.js'
import type { RolloutSpec } from '../schema.js'

type RollingSpec = NonNullable<RolloutSpec['strategy']['rolling']>

/** Kubernetes' rounding: surge up, unavailable down, so a rollout can always make progress. */
function percentOf(
  v: number | string | undefined,
  replicas: number,
  fallback: string,
  round: 'up' | 'down',
): number {
  const value = v ?? fallback
  if (typeof value === 'number') return value
  const pct = Number(value.replace('%', ''))
  const exact = (replicas * pct) / 100
  return round === 'up' ? Math.ceil(exact) : Math.floor(exact)
}

export function normalizeRolling(r: RollingSpec, replicas: number): RollingPlan {
  let maxSurge = percentOf(r.maxSurge, replicas, '25%', 'up')
  const maxUnavailable = percentOf(r.maxUnavailable, replicas, '25%', 'down')
  // Both zero could never replace a replica.
  if (maxSurge === 0 && maxUnavailable === 0) maxSurge = 1
  return { kind: 'rolling', maxSurge, maxUnavailable }
}
