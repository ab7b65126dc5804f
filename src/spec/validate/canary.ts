/**
 * The canary strategy: explicit steps or the Flagger shorthand (stepWeight/maxWeight, stepWeights,
 * iterations + match for A/B testing, mirror), never both, and only what the router can do.
 */
import type { RolloutSpec, StepSpec } from '../schema.js'
import { checkAnalysisRef } from './analysis.js'
import type { DocumentProblems, Path } from './document-problems.js'
import { checkDuration } from './durations.js'
import { checkMatches } from './request-matches.js'
import type { RolloutContext } from './rollout-context.js'
import { cannotMirror, cannotRouteByHeader } from './routing.js'

type CanarySpec = NonNullable<RolloutSpec['strategy']['canary']>

export function checkCanary(p: DocumentProblems, canary: CanarySpec, ctx: RolloutContext): void {
  const at = ['spec', 'strategy', 'canary']
  const shorthand =
    canary.stepWeight !== undefined ||
    canary.stepWeights !== undefined ||
    canary.iterations !== undefined
  if (canary.steps !== undefined && shorthand)
    p.add(
      [...at, 'steps'],
      'give steps, or the shorthand (interval with stepWeight/maxWeight, stepWeights or iterations), not both',
      true,
    )
  if (canary.steps === undefined && !shorthand)
    p.add(
      at,
      'needs steps, or the shorthand: interval with stepWeight + maxWeight, stepWeights, or iterations + match',
    )
  if (canary.stepWeight !== undefined && canary.stepWeights !== undefined)
    p.add([...at, 'stepWeights'], 'give stepWeight or stepWeights, not both', true)
  if (
    canary.iterations !== undefined &&
    (canary.stepWeight !== undefined || canary.stepWeights !== undefined)
  )
    p.add(
      [...at, 'iterations'],
      'iterations (A/B testing) cannot be combined with stepWeight or stepWeights',
      true,
    )
  if (canary.iterations !== undefined && canary.match === undefined)
    p.add(
      [...at, 'match'],
      'A/B testing (iterations) needs match: the headers or cookies that select the canary',
    )
  if (canary.match !== undefined && canary.iterations === undefined)
    p.add([...at, 'match'], 'match is for A/B testing: add iterations', true)
  if (canary.match !== undefined && !ctx.caps.headerRoutes)
    p.add([...at, 'match'], cannotRouteByHeader(ctx.router), true)
  if (canary.mirror !== undefined && !ctx.caps.mirror)
    p.add([...at, 'mirror'], cannotMirror(ctx.router), true)
  if (shorthand && canary.interval === undefined)
    p.add([...at, 'interval'], 'the shorthand needs interval (how long each weight is analysed)')
  if (shorthand && ctx.analysisMetrics === 0)
    p.add(at, 'the shorthand analyses every step: add spec.analysis.metrics (e.g. error-rate)')
  checkDuration(p, [...at, 'interval'], canary.interval)
  checkDuration(p, [...at, 'mirror', 'duration'], canary.mirror?.duration)
  if (
    canary.stepWeight !== undefined &&
    canary.maxWeight !== undefined &&
    canary.stepWeight > canary.maxWeight
  )
    p.add(
      [...at, 'stepWeight'],
      `stepWeight ${canary.stepWeight} is above maxWeight ${canary.maxWeight}`,
    )
  canary.stepWeights?.forEach((w, i, all) => {
    if (i > 0 && w <= (all[i - 1] ?? 0))
      p.add([...at, 'stepWeights', i], `weights must increase (${all[i - 1] ?? 0} then ${w})`)
  })
  checkMatches(p, [...at, 'match'], canary.match)
  canary.steps?.forEach((step, i) => checkStep(p, [...at, 'steps', i], step, ctx))
}

/** One explicit step: exactly one action, and one the router can carry out. */
function checkStep(p: DocumentProblems, sp: Path, step: StepSpec, ctx: RolloutContext): void {
  const keys = Object.keys(step).filter((k) => (step as Record<string, unknown>)[k] !== undefined)
  if (keys.length !== 1) {
    p.add(
      sp,
      keys.length === 0
        ? 'is empty: give one of setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, setCanaryScale'
        : `give one action per step, not ${keys.join(' and ')}`,
    )
    return
  }
  if (step.pause !== undefined) checkDuration(p, [...sp, 'pause', 'duration'], step.pause.duration)
  if (step.analysis !== undefined) {
    const n = checkAnalysisRef(p, [...sp, 'analysis'], step.analysis, ctx.templates)
    if (n === 0 && ctx.analysisMetrics === 0)
      p.add(
        [...sp, 'analysis'],
        'has no metrics: name templates, give metrics, or add spec.analysis.metrics',
      )
  }
  if (step.setHeaderRoute !== undefined) {
    if (!ctx.caps.headerRoutes)
      p.add([...sp, 'setHeaderRoute'], cannotRouteByHeader(ctx.router), true)
    checkMatches(p, [...sp, 'setHeaderRoute', 'match'], step.setHeaderRoute.match)
  }
  if (step.setMirrorRoute !== undefined) {
    if (!ctx.caps.mirror) p.add([...sp, 'setMirrorRoute'], cannotMirror(ctx.router), true)
    if (step.setMirrorRoute.percentage === undefined)
      p.add([...sp, 'setMirrorRoute', 'percentage'], 'is required (0 removes the mirror)')
    checkMatches(p, [...sp, 'setMirrorRoute', 'match'], step.setMirrorRoute.match)
  }
  if (step.setCanaryScale !== undefined) {
    const set = Object.keys(step.setCanaryScale).filter(
      (k) => (step.setCanaryScale as Record<string, unknown>)[k] !== undefined,
    )
    if (set.length !== 1)
      p.add([...sp, 'setCanaryScale'], 'give one of replicas, weight, matchTrafficWeight')
  }
}
