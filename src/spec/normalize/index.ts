/**
 * From a validated Rollout to the engine's plan: defaults applied, durations in seconds, strategies
 * expanded into steps (./canary.ts…), templates resolved, and alpha shared among the analysis runs.
 */
import type {
  NotificationPlan,
  RolloutPlan,
  SecretSource,
  StrategyPlan,
} from '../../engine/plan.js'
import { ROUTER_CAPABILITIES } from '../../engine/vocabulary.js'
import { seconds } from '../duration.js'
import { routerOf } from '../router.js'
import type { AnalysisTemplate, NotificationSpec, Rollout, RolloutSpec } from '../schema.js'
import { analysisPlan, shareAlpha, templateMetrics, type Shared } from './analysis.js'
import { normalizeBlueGreen } from './blue-green.js'
import { normalizeCanary } from './canary.js'
import { DEFAULTS, NOTIFIED_BY_DEFAULT } from './defaults.js'
import { normalizeRolling } from './rolling.js'
import { rolloutTemplateHash } from './template-hash.js'
import { webhookPlans } from './webhooks.js'

export { DEFAULTS, NOTIFIED_BY_DEFAULT } from './defaults.js'
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
    variables: specVariables(rollout),
    onFailure: spec.onAnalysisFailure ?? 'rollback',
    rolloutMetricsOnFailure: a?.onFailure ?? spec.onAnalysisFailure ?? 'rollback',
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
    webhooks: webhookPlans(spec.webhooks),
    webhookIntervalSeconds: shared.interval,
    failedChecksThreshold: shared.threshold,
    namespace: rollout.metadata.namespace ?? 'default',
    checksum: rolloutTemplateHash(rollout),
    notifications: (spec.notifications ?? []).map(notificationPlan),
    progressDeadlineSeconds: spec.progressDeadlineSeconds ?? DEFAULTS.progressDeadlineSeconds,
    progressDeadlineAbort: spec.progressDeadlineAbort ?? true,
    paused: spec.paused ?? false,
    routerCapabilities: { ...ROUTER_CAPABILITIES[routerName] },
  }
  if (spec.progressDeadlineSeconds !== undefined && spec.progressDeadlineAbort !== false)
    plan.frozenDeadlineSeconds = spec.progressDeadlineSeconds
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

/** What the spec-time `{{ … }}` variables stand for in this rollout's metrics (Flagger's names). */
export function specVariables(rollout: Rollout): Shared['variables'] {
  // On Kubernetes the workload is the target Deployment: Istio's destination_workload and its kin.
  const target = rollout.spec.workload.targetRef?.name ?? rollout.metadata.name
  return {
    namespace: rollout.metadata.namespace ?? 'default',
    target,
    service: rollout.spec.service?.name ?? target,
    ingress: rollout.spec.trafficRouting?.nginx?.ingress ?? target,
  }
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

/** Where a validated spec says a secret is (validation has checked exactly one place is given). */
export function secretSource(from: NotificationSpec['urlFrom']): SecretSource {
  return from.env !== undefined ? { env: from.env } : { file: from.file ?? '' }
}

function notificationPlan(n: NotificationSpec): NotificationPlan {
  return {
    name: n.name ?? n.provider,
    provider: n.provider,
    urlFrom: secretSource(n.urlFrom),
    severity: n.severity ?? 'info',
    events: [...(n.events ?? NOTIFIED_BY_DEFAULT)],
    timeoutSeconds: seconds(n.timeout, DEFAULTS.notificationTimeoutSeconds),
    retries: n.retries ?? DEFAULTS.notificationRetries,
  }
}
