/**
 * Analysis runs for the plan: metrics with their defaults, templates resolved with their args, a
 * count of measurements from the run's duration, and the rollout's alpha shared among its runs.
 */
import type {
  AnalysisFailurePolicy,
  AnalysisPlan,
  JudgeName,
  MetricPlan,
} from '../../analysis/types.js'
import type { RolloutPlan } from '../../engine/plan.js'
import { seconds } from '../duration.js'
import type { AnalysisRefSpec, AnalysisTemplate, MetricSpec } from '../schema.js'
import { ARG_REF } from '../template-args.js'
import { DEFAULTS } from './defaults.js'
import { providerPlan, type VariableContext } from './metric-provider.js'

/** What every analysis run of one rollout starts from. */
export interface Shared {
  interval: number
  judge: JudgeName
  threshold: number
  minCanaryRequests: number
  templates: Map<string, AnalysisTemplate>
  /** The rollout's own metrics (spec.analysis.metrics and spec.analysis.templates). */
  rolloutMetrics: MetricSpec[]
  /** What `{{ namespace }}`, `{{ target }}`… stand for in this rollout's metrics. */
  variables: VariableContext['spec']
  /** A failed analysis with metrics of its own: `spec.onAnalysisFailure`, default rollback. */
  onFailure: AnalysisFailurePolicy
  /** A failed analysis of the rollout's metrics: `spec.analysis.onFailure`, else `onFailure`. */
  rolloutMetricsOnFailure: AnalysisFailurePolicy
}

function substitute(metric: MetricSpec, args: Map<string, string | undefined>): MetricSpec {
  const text = JSON.stringify(metric).replace(ARG_REF, (whole, name: string) => {
    const v = args.get(name)
    return v === undefined ? whole : JSON.stringify(v).slice(1, -1)
  })
  return JSON.parse(text) as MetricSpec
}

function metricPlan(m: MetricSpec, shared: Shared, count: number | undefined): MetricPlan {
  const intervalSeconds = seconds(m.interval, shared.interval)
  const plan: MetricPlan = {
    name: m.name,
    provider: providerPlan(m, { spec: shared.variables, intervalSeconds }),
    intervalSeconds,
    initialDelaySeconds: seconds(m.initialDelay, 0),
    failureLimit: m.failureLimit ?? 0,
    inconclusiveLimit: m.inconclusiveLimit ?? 0,
    consecutiveErrorLimit: m.consecutiveErrorLimit ?? DEFAULTS.consecutiveErrorLimit,
    errorGraceSeconds: seconds(m.errorGracePeriod, DEFAULTS.errorGraceSeconds),
  }
  if (count !== undefined) plan.count = count
  if (m.thresholdRange !== undefined) {
    plan.thresholdRange = {}
    if (m.thresholdRange.min !== undefined) plan.thresholdRange.min = m.thresholdRange.min
    if (m.thresholdRange.max !== undefined) plan.thresholdRange.max = m.thresholdRange.max
  }
  if (m.successCondition !== undefined) plan.successCondition = m.successCondition
  if (m.failureCondition !== undefined) plan.failureCondition = m.failureCondition
  return plan
}

/** The metrics of the named templates, `{{args.x}}` filled from the given args over the defaults. */
export function templateMetrics(
  refs: { templateName: string }[] | undefined,
  args: { name: string; value?: string }[] | undefined,
  shared: Shared,
): MetricSpec[] {
  return (refs ?? []).flatMap((ref) => {
    const t = shared.templates.get(ref.templateName)
    if (t === undefined) throw new Error(`no AnalysisTemplate named "${ref.templateName}"`)
    const values = new Map<string, string | undefined>(
      (t.spec.args ?? []).map((a) => [a.name, a.value]),
    )
    for (const a of args ?? []) if (a.value !== undefined) values.set(a.name, a.value)
    return t.spec.metrics.map((m) => substitute(m, values))
  })
}

/** Whether an analysis reference brings metrics of its own (else it uses the rollout's). */
export function ownsMetrics(ref: AnalysisRefSpec): boolean {
  return (ref.templates?.length ?? 0) > 0 || (ref.metrics?.length ?? 0) > 0
}

export function analysisPlan(
  kind: AnalysisPlan['kind'],
  ref: AnalysisRefSpec | undefined,
  base: Shared,
  durationSeconds: number | undefined,
  intervalSeconds?: number,
): AnalysisPlan {
  const shared = intervalSeconds === undefined ? base : { ...base, interval: intervalSeconds }
  const owned = ref !== undefined && ownsMetrics(ref)
  const specs = owned
    ? [...templateMetrics(ref.templates, ref.args, shared), ...(ref.metrics ?? [])]
    : shared.rolloutMetrics
  const duration =
    durationSeconds ?? (ref?.duration === undefined ? undefined : seconds(ref.duration, 0))
  const metrics = specs.map((m) => {
    if (kind === 'background') return metricPlan(m, shared, undefined)
    const interval = seconds(m.interval, shared.interval)
    const count =
      duration === undefined ? (m.count ?? 1) : Math.max(1, Math.ceil(duration / interval))
    return metricPlan(m, shared, count)
  })
  // alpha is set once every run is known (see shareAlpha).
  return {
    kind,
    judge: shared.judge,
    metrics,
    threshold: shared.threshold,
    alpha: 0,
    minCanaryRequests: shared.minCanaryRequests,
    // The analysis's own choice first; else the choice of the rollout (for its own metrics).
    onFailure: ref?.onFailure ?? (owned ? shared.onFailure : shared.rolloutMetricsOnFailure),
  }
}

/** Splits the rollout's alpha equally among its analysis runs (Bonferroni). */
export function shareAlpha(plan: RolloutPlan, alpha: number): void {
  const runs: AnalysisPlan[] = []
  if (plan.analysis !== undefined) runs.push(plan.analysis)
  const s = plan.strategy
  if (s.kind === 'canary')
    for (const step of s.steps) if (step.kind === 'analysis') runs.push(step.analysis)
  if (s.kind === 'blueGreen') {
    if (s.prePromotionAnalysis !== undefined) runs.push(s.prePromotionAnalysis)
    if (s.postPromotionAnalysis !== undefined) runs.push(s.postPromotionAnalysis)
  }
  for (const run of runs) run.alpha = alpha / runs.length
}
