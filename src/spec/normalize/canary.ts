/**
 * The canary strategy as plan steps: the Flagger shorthand (mirror phase, A/B iterations, stepWeight
 * up to maxWeight or stepWeights, each weight analysed for one interval) expanded, then explicit steps.
 */
import type { CanaryPlan, CanaryStep } from '../../engine/plan.js'
import { seconds } from '../duration.js'
import type { RolloutSpec } from '../schema.js'
import { analysisPlan, ownsMetrics, type Shared } from './analysis.js'
import { DEFAULTS } from './defaults.js'
import { requestMatch } from './request-match.js'
import { InternalError } from '../../errors.js'

type CanarySpec = NonNullable<RolloutSpec['strategy']['canary']>

/** `usesRolloutMetrics`: some step analyses the rollout's own metrics (so no background run). */
export function normalizeCanary(
  c: CanarySpec,
  shared: Shared,
): { strategy: CanaryPlan; usesRolloutMetrics: boolean } {
  let usesRolloutMetrics = false
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
      // Validation refuses a stepWeight below 1; checked again here so the loop always ends.
      if (c.stepWeight < 1)
        throw new InternalError(`stepWeight ${c.stepWeight} reached normalisation`)
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
  const strategy: CanaryPlan = {
    kind: 'canary',
    steps,
    abortScaleDownDelaySeconds: c.abortScaleDownDelaySeconds ?? DEFAULTS.abortScaleDownDelaySeconds,
    scaleDownDelaySeconds: c.scaleDownDelaySeconds ?? DEFAULTS.scaleDownDelaySeconds,
    ...(c.iterations !== undefined ? { ab: { match: (c.match ?? []).map(requestMatch) } } : {}),
  }
  return { strategy, usesRolloutMetrics }
}
