/**
 * From a validated Rollout to the engine's plan: defaults applied, durations in seconds, strategies
 * expanded into steps (./canary.ts…), templates resolved, and alpha shared among the analysis runs.
 */
import type { RolloutPlan, StrategyPlan } from '../../engine/plan.js'
import { ROUTER_CAPABILITIES } from '../../engine/vocabulary.js'
import { seconds } from '../duration.js'
import { routerOf } from '../router.js'
import type { AnalysisTemplate, Rollout, RolloutSpec } from '../schema.js'
import { analysisPlan, shareAlpha, templateMetrics, type Shared } from './analysis.js'
import { normalizeBlueGreen } from './blue-green.js'
import { normalizeCanary } from './canary.js'
import { DEFAULTS } from './defaults.js'
import { normalizeRolling } from './rolling.js'

export { DEFAULTS } from './defaults.js'
export { rolloutTemplateHash } from './template-hash.js'

export function normalizeRollout(
  rollout: Rollout,
  templates: AnalysisTemplate[],
  opts: { revision: number },
): RolloutPlan {
  const spec = rollout.spec
  const a = spec.analysis
  const replicas = spec.replicas ?? DEFAULTS.replicas
  const shared: Shared = {
    interval: seconds(a?.interval, DEFAULTS.intervalSeconds),
    judge: a?.judge ?? DEFAULTS.judge,
    threshold: a?.threshold ?? DEFAULTS.threshold,
    minCanaryRequests: a?.minCanaryRequests ?? DEFAULTS.minCanaryRequests,
    templates: new Map(templates.map((t) => [t.metadata.name, t])),
    rolloutMetrics: [],
  }
  shared.rolloutMetrics = [...templateMetrics(a?.templates, a?.args, shared), ...(a?.metrics ?? [])]

  const { strategy, usesRolloutMetrics } = strategyPlan(spec, shared, replicas)
  const routerName = routerOf(spec)
  const plan: RolloutPlan = {
    name: rollout.metadata.name,
    revision: opts.revision,
    replicas,
    strategy,
    judge: shared.judge,
    webhooks: (spec.webhooks ?? []).map((w) => ({
      name: w.name,
      type: w.type,
      url: w.url,
      timeoutSeconds: seconds(w.timeout, DEFAULTS.webhookTimeoutSeconds),
      metadata: (w.metadata ?? {}) as Record<string, string>,
      retries: w.retries ?? 0,
    })),
    notifications: (spec.notifications ?? []).map((n) => ({
      provider: n.provider,
      url: n.url,
      severity: n.severity ?? 'info',
    })),
    progressDeadlineSeconds: spec.progressDeadlineSeconds ?? DEFAULTS.progressDeadlineSeconds,
    progressDeadlineAbort: spec.progressDeadlineAbort ?? true,
    paused: spec.paused ?? false,
    routerCapabilities: { ...ROUTER_CAPABILITIES[routerName] },
  }
  const advisor = a?.advisor
  if (advisor?.pauseOnDisagreement === true && strategy.kind === 'canary')
    plan.advisorGate = {
      timeoutSeconds: seconds(advisor.timeout, DEFAULTS.advisorTimeoutSeconds),
    }
  if (!usesRolloutMetrics && shared.rolloutMetrics.length > 0)
    plan.analysis = analysisPlan('background', undefined, shared, undefined)
  shareAlpha(plan, a?.alpha ?? DEFAULTS.alpha)
  return plan
}

/** The strategy, and whether it analyses the rollout's own metrics (else they run in the background). */
function strategyPlan(
  spec: RolloutSpec,
  shared: Shared,
  replicas: number,
): { strategy: StrategyPlan; usesRolloutMetrics: boolean } {
  const s = spec.strategy
  if (s.canary !== undefined) return normalizeCanary(s.canary, shared)
  if (s.blueGreen !== undefined)
    return { strategy: normalizeBlueGreen(s.blueGreen, shared), usesRolloutMetrics: true }
  return { strategy: normalizeRolling(s.rolling ?? {}, replicas), usesRolloutMetrics: false }
}
