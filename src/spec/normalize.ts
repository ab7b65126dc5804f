/**
 * From a validated Rollout to the engine's plan: every default applied, durations in seconds, the
 * Flagger shorthand and A/B testing expanded into steps, templates resolved with their args, and the
 * rollout's false-rollback budget (alpha) shared among its analysis runs.
 */
import { createHash } from 'node:crypto'
import type { AnalysisPlan, JudgeName, MetricPlan, MetricProviderPlan } from '../analysis/types.js'
import type { CanaryStep, RequestMatch, RolloutPlan, StrategyPlan } from '../engine/plan.js'
import { seconds } from './duration.js'
import type { AnalysisRefSpec, AnalysisTemplate, MetricSpec, Rollout } from './schema.js'
import { ROUTER_CAPABILITIES } from './validate.js'

export const DEFAULTS = {
  replicas: 1,
  intervalSeconds: 10,
  judge: 'sequential' as JudgeName,
  alpha: 0.05,
  threshold: 5,
  minCanaryRequests: 50,
  consecutiveErrorLimit: 4,
  progressDeadlineSeconds: 600,
  scaleDownDelaySeconds: 30,
  abortScaleDownDelaySeconds: 30,
  webhookTimeoutSeconds: 10,
  maxWeight: 100,
} as const

interface Shared {
  interval: number
  judge: JudgeName
  threshold: number
  minCanaryRequests: number
  templates: Map<string, AnalysisTemplate>
  /** The rollout's own metrics (spec.analysis.metrics and spec.analysis.templates). */
  rolloutMetrics: MetricSpec[]
}

function substitute(metric: MetricSpec, args: Map<string, string | undefined>): MetricSpec {
  const text = JSON.stringify(metric).replace(
    /\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}/g,
    (whole, name: string) => {
      const v = args.get(name)
      return v === undefined ? whole : JSON.stringify(v).slice(1, -1)
    },
  )
  return JSON.parse(text) as MetricSpec
}

function provider(m: MetricSpec): MetricProviderPlan {
  const p = m.provider
  if (p?.prometheus !== undefined) {
    return {
      kind: 'prometheus',
      address: p.prometheus.address,
      query: p.prometheus.query,
      ...(p.prometheus.timeout === undefined
        ? {}
        : { timeoutSeconds: seconds(p.prometheus.timeout, 10) }),
    }
  }
  if (p?.web !== undefined) {
    return {
      kind: 'web',
      url: p.web.url,
      method: p.web.method ?? 'GET',
      headers: (p.web.headers ?? {}) as Record<string, string>,
      ...(p.web.body === undefined ? {} : { body: p.web.body }),
      jsonPath: p.web.jsonPath,
      ...(p.web.timeout === undefined ? {} : { timeoutSeconds: seconds(p.web.timeout, 10) }),
    }
  }
  if (p?.command !== undefined)
    return {
      kind: 'command',
      command: p.command.command,
      ...(p.command.timeout === undefined
        ? {}
        : { timeoutSeconds: seconds(p.command.timeout, 30) }),
    }
  return {
    kind: 'builtin',
    metric: (p?.builtin?.metric ?? m.name) as Extract<
      MetricProviderPlan,
      { kind: 'builtin' }
    >['metric'],
  }
}

function metricPlan(m: MetricSpec, shared: Shared, count: number | undefined): MetricPlan {
  const plan: MetricPlan = {
    name: m.name,
    provider: provider(m),
    intervalSeconds: seconds(m.interval, shared.interval),
    initialDelaySeconds: seconds(m.initialDelay, 0),
    failureLimit: m.failureLimit ?? 0,
    inconclusiveLimit: m.inconclusiveLimit ?? 0,
    consecutiveErrorLimit: m.consecutiveErrorLimit ?? DEFAULTS.consecutiveErrorLimit,
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

function templateMetrics(
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
function ownsMetrics(ref: AnalysisRefSpec): boolean {
  return (ref.templates?.length ?? 0) > 0 || (ref.metrics?.length ?? 0) > 0
}

function analysisPlan(
  kind: AnalysisPlan['kind'],
  ref: AnalysisRefSpec | undefined,
  base: Shared,
  durationSeconds: number | undefined,
  intervalSeconds?: number,
): AnalysisPlan {
  const shared = intervalSeconds === undefined ? base : { ...base, interval: intervalSeconds }
  const specs =
    ref !== undefined && ownsMetrics(ref)
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
  }
}

function requestMatch(m: {
  headerName?: string
  headerValue?: Record<string, string | undefined>
  cookieName?: string
  cookieValue?: Record<string, string | undefined>
}): RequestMatch {
  const value = (
    v: Record<string, string | undefined> | undefined,
  ): { exact?: string; prefix?: string; regex?: string } => {
    const out: { exact?: string; prefix?: string; regex?: string } = {}
    if (v?.exact !== undefined) out.exact = v.exact
    if (v?.prefix !== undefined) out.prefix = v.prefix
    if (v?.regex !== undefined) out.regex = v.regex
    return out
  }
  if (m.cookieName !== undefined)
    return { cookieName: m.cookieName, cookieValue: value(m.cookieValue) }
  return { headerName: m.headerName ?? '', headerValue: value(m.headerValue) }
}

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

  let usesRolloutMetrics = false
  let strategy: StrategyPlan
  const c = spec.strategy.canary
  const bg = spec.strategy.blueGreen
  if (c !== undefined) {
    const steps: CanaryStep[] = []
    const interval = seconds(c.interval, shared.interval)
    const stepAnalysis = (duration: number): CanaryStep => {
      usesRolloutMetrics = true
      // Flagger's shorthand measures once per canary interval.
      return {
        kind: 'analysis',
        analysis: analysisPlan('step', undefined, shared, duration, interval),
      }
    }
    if (c.mirror !== undefined) {
      steps.push({
        kind: 'setMirrorRoute',
        name: 'mirror',
        percentage: c.mirror.percentage ?? 100,
        match: [],
      })
      steps.push(stepAnalysis(seconds(c.mirror.duration, interval)))
      steps.push({ kind: 'setMirrorRoute', name: 'mirror', percentage: 0, match: [] })
    }
    if (c.iterations !== undefined) {
      steps.push({ kind: 'setHeaderRoute', name: 'ab', match: (c.match ?? []).map(requestMatch) })
      steps.push(stepAnalysis(c.iterations * interval))
    } else if (c.stepWeights !== undefined || c.stepWeight !== undefined) {
      const weights: number[] = c.stepWeights ?? []
      if (c.stepWeight !== undefined) {
        const max = c.maxWeight ?? DEFAULTS.maxWeight
        for (let w = c.stepWeight; w < max + c.stepWeight; w += c.stepWeight)
          weights.push(Math.min(w, max))
      }
      for (const w of weights) steps.push({ kind: 'setWeight', weight: w }, stepAnalysis(interval))
    }
    for (const step of c.steps ?? []) {
      if (step.setWeight !== undefined) steps.push({ kind: 'setWeight', weight: step.setWeight })
      else if (step.pause !== undefined)
        steps.push(
          step.pause.duration === undefined
            ? { kind: 'pause' }
            : { kind: 'pause', durationSeconds: seconds(step.pause.duration, 0) },
        )
      else if (step.analysis !== undefined) {
        if (!ownsMetrics(step.analysis)) usesRolloutMetrics = true
        steps.push({
          kind: 'analysis',
          analysis: analysisPlan('step', step.analysis, shared, undefined),
        })
      } else if (step.setHeaderRoute !== undefined)
        steps.push({
          kind: 'setHeaderRoute',
          name: step.setHeaderRoute.name,
          match: (step.setHeaderRoute.match ?? []).map(requestMatch),
        })
      else if (step.setMirrorRoute !== undefined)
        steps.push({
          kind: 'setMirrorRoute',
          name: step.setMirrorRoute.name,
          percentage: step.setMirrorRoute.percentage ?? 0,
          match: (step.setMirrorRoute.match ?? []).map(requestMatch),
        })
      else if (step.setCanaryScale !== undefined) {
        const s: CanaryStep & { kind: 'setCanaryScale' } = { kind: 'setCanaryScale' }
        if (step.setCanaryScale.replicas !== undefined) s.replicas = step.setCanaryScale.replicas
        if (step.setCanaryScale.weight !== undefined) s.weight = step.setCanaryScale.weight
        if (step.setCanaryScale.matchTrafficWeight !== undefined)
          s.matchTrafficWeight = step.setCanaryScale.matchTrafficWeight
        steps.push(s)
      }
    }
    strategy = {
      kind: 'canary',
      steps,
      abortScaleDownDelaySeconds:
        c.abortScaleDownDelaySeconds ?? DEFAULTS.abortScaleDownDelaySeconds,
      scaleDownDelaySeconds: c.scaleDownDelaySeconds ?? DEFAULTS.scaleDownDelaySeconds,
      ...(c.iterations !== undefined ? { ab: { match: (c.match ?? []).map(requestMatch) } } : {}),
    }
  } else if (bg !== undefined) {
    usesRolloutMetrics = true
    const pre =
      bg.prePromotionAnalysis ??
      (bg.postPromotionAnalysis === undefined && shared.rolloutMetrics.length > 0 ? {} : undefined)
    strategy = {
      kind: 'blueGreen',
      autoPromotionEnabled: bg.autoPromotionEnabled ?? true,
      scaleDownDelaySeconds: bg.scaleDownDelaySeconds ?? DEFAULTS.scaleDownDelaySeconds,
      ...(bg.autoPromotionSeconds === undefined
        ? {}
        : { autoPromotionSeconds: bg.autoPromotionSeconds }),
      ...(pre === undefined
        ? {}
        : { prePromotionAnalysis: analysisPlan('prePromotion', pre, shared, undefined) }),
      ...(bg.postPromotionAnalysis === undefined
        ? {}
        : {
            postPromotionAnalysis: analysisPlan(
              'postPromotion',
              bg.postPromotionAnalysis,
              shared,
              undefined,
            ),
          }),
      ...(bg.previewReplicaCount === undefined
        ? {}
        : { previewReplicaCount: bg.previewReplicaCount }),
      ...(bg.previewMirrorPercentage === undefined
        ? {}
        : { previewMirrorPercentage: bg.previewMirrorPercentage }),
    }
  } else {
    const r = spec.strategy.rolling ?? {}
    let maxSurge = percentOf(r.maxSurge, replicas, '25%', 'up')
    const maxUnavailable = percentOf(r.maxUnavailable, replicas, '25%', 'down')
    if (maxSurge === 0 && maxUnavailable === 0) maxSurge = 1
    strategy = { kind: 'rolling', maxSurge, maxUnavailable }
  }

  const routerName = (Object.keys(spec.trafficRouting ?? {}).find(
    (k) => (spec.trafficRouting as Record<string, unknown> | undefined)?.[k] !== undefined,
  ) ?? (spec.workload.process !== undefined ? 'proxy' : 'none')) as keyof typeof ROUTER_CAPABILITIES
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
  if (!usesRolloutMetrics && shared.rolloutMetrics.length > 0)
    plan.analysis = analysisPlan('background', undefined, shared, undefined)
  shareAlpha(plan, a?.alpha ?? DEFAULTS.alpha)
  return plan
}

/** Splits the rollout's alpha equally among its analysis runs (Bonferroni). */
function shareAlpha(plan: RolloutPlan, alpha: number): void {
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

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    )
  }
  return value
}

/** A stable hash of the workload template: a change means a new revision. */
export function rolloutTemplateHash(rollout: Pick<Rollout, 'spec'>): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(rollout.spec.workload)))
    .digest('hex')
    .slice(0, 10)
}
