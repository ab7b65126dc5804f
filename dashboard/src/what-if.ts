/**
 * The "what if" inputs and how they become a `kanari simulate` run: the same options the CLI builds
 * from its flags (with the CLI's defaults for the rest), the same command line to run it in a
 * terminal, and the plan with another judge put in, to compare the judges side by side.
 */
import type { AnalysisPlan, JudgeName } from '../../src/analysis/types.js'
import type { RolloutPlan } from '../../src/engine/plan.js'
import type { SimulationOptions } from '../../src/simulate/simulate.js'

export interface WhatIfInputs {
  /** User requests per second. */
  rps: number
  /** Percent of requests the canary fails. */
  canaryErrorRate: number
  /** Milliseconds the canary adds to stable's median latency. */
  addedLatencyMs: number
  /** The canary behaves like stable until its weight reaches this; null = faulty from the start. */
  failAtWeight: number | null
}

/** `kanari simulate`'s defaults for what the page does not ask. */
export const CLI_DEFAULTS = {
  stableErrorRate: 0.5,
  stableLatencyMs: 50,
  matchRate: 10,
  seed: 1,
  promoteAfter: 60,
  readySeconds: 2,
  maxSeconds: 6 * 3600,
} as const

export const DEFAULT_INPUTS: WhatIfInputs = {
  rps: 100,
  canaryErrorRate: 5,
  addedLatencyMs: 0,
  failAtWeight: null,
}

/** The options `kanari simulate` builds from the equivalent flags. */
export function simulationOptions(i: WhatIfInputs): SimulationOptions {
  return {
    rps: i.rps,
    stable: {
      errorRatePercent: CLI_DEFAULTS.stableErrorRate,
      latencyMs: CLI_DEFAULTS.stableLatencyMs,
    },
    canary: {
      errorRatePercent: i.canaryErrorRate,
      latencyMs: CLI_DEFAULTS.stableLatencyMs + i.addedLatencyMs,
    },
    ...(i.failAtWeight === null ? {} : { failAtWeight: i.failAtWeight }),
    matchRatePercent: CLI_DEFAULTS.matchRate,
    seed: CLI_DEFAULTS.seed,
    promoteAfterSeconds: CLI_DEFAULTS.promoteAfter,
    readySeconds: CLI_DEFAULTS.readySeconds,
    maxSeconds: CLI_DEFAULTS.maxSeconds,
  }
}

/** The flags that make `kanari simulate -f FILE` run the same simulation. */
export function simulateFlags(i: WhatIfInputs): string[] {
  return [
    '--rps',
    String(i.rps),
    '--canary-error-rate',
    String(i.canaryErrorRate),
    ...(i.addedLatencyMs === 0
      ? []
      : ['--canary-latency-ms', String(CLI_DEFAULTS.stableLatencyMs + i.addedLatencyMs)]),
    ...(i.failAtWeight === null ? [] : ['--fail-at-weight', String(i.failAtWeight)]),
  ]
}

function judged(plan: AnalysisPlan | undefined, judge: JudgeName): AnalysisPlan | undefined {
  return plan === undefined ? undefined : { ...plan, judge }
}

/** The plan with every analysis (background, steps, blue-green's) decided by `judge`. */
export function withJudge(plan: RolloutPlan, judge: JudgeName): RolloutPlan {
  const out: RolloutPlan = { ...plan }
  const analysis = judged(plan.analysis, judge)
  if (analysis !== undefined) out.analysis = analysis
  const s = plan.strategy
  if (s.kind === 'canary')
    out.strategy = {
      ...s,
      steps: s.steps.map((step) =>
        step.kind === 'analysis' ? { ...step, analysis: { ...step.analysis, judge } } : step,
      ),
    }
  else if (s.kind === 'blueGreen') {
    const bg = { ...s }
    const pre = judged(s.prePromotionAnalysis, judge)
    const post = judged(s.postPromotionAnalysis, judge)
    if (pre !== undefined) bg.prePromotionAnalysis = pre
    if (post !== undefined) bg.postPromotionAnalysis = post
    out.strategy = bg
  }
  return out
}

/** The judges the plan's own analyses use (usually one). */
export function judgesOf(plan: RolloutPlan): JudgeName[] {
  const plans: (AnalysisPlan | undefined)[] = [plan.analysis]
  const s = plan.strategy
  if (s.kind === 'canary')
    for (const step of s.steps) if (step.kind === 'analysis') plans.push(step.analysis)
  if (s.kind === 'blueGreen') plans.push(s.prePromotionAnalysis, s.postPromotionAnalysis)
  return [...new Set(plans.flatMap((p) => (p === undefined ? [] : [p.judge])))]
}
