/**
 * The canary strategy: explicit steps or the Flagger shorthand (stepWeight/maxWeight, stepWeights,
 * iterations + match for A/B testing, mirror), never both, and only what the router can do.
 */
import { CanarySchema, StepSchema, type StepSpec } from '../schema.js'
import { checkAnalysisRef } from './analysis.js'
import type { DocumentProblems, Path } from './document-problems.js'
import { checkDuration, checkInterval } from './durations.js'
import { checkMatches } from './request-matches.js'
import type { RolloutContext } from './rollout-context.js'
import { cannotMirror, cannotRouteByHeader } from './routing.js'
import { presentKeys, soundItems, soundSections } from './sound-parts.js'

/** `canary` as written: which fields are given is read from it, their values only once sound. */
export function checkCanary(p: DocumentProblems, canary: unknown, ctx: RolloutContext): void {
  const c = soundSections(CanarySchema, canary)
  if (c === undefined) return
  const at = ['spec', 'strategy', 'canary']
  const { given } = c
  const shorthand = given.has('stepWeight') || given.has('stepWeights') || given.has('iterations')
  if (given.has('steps') && shorthand)
    p.add(
      [...at, 'steps'],
      'give steps, or the shorthand (interval with stepWeight/maxWeight, stepWeights or iterations), not both',
      true,
    )
  if (!given.has('steps') && !shorthand)
    p.add(
      at,
      'needs steps, or the shorthand: interval with stepWeight + maxWeight, stepWeights, or iterations + match',
    )
  if (given.has('stepWeight') && given.has('stepWeights'))
    p.add([...at, 'stepWeights'], 'give stepWeight or stepWeights, not both', true)
  if (given.has('iterations') && (given.has('stepWeight') || given.has('stepWeights')))
    p.add(
      [...at, 'iterations'],
      'iterations (A/B testing) cannot be combined with stepWeight or stepWeights',
      true,
    )
  if (given.has('iterations') && !given.has('match'))
    p.add(
      [...at, 'match'],
      'A/B testing (iterations) needs match: the headers or cookies that select the canary',
    )
  if (given.has('match') && !given.has('iterations'))
    p.add([...at, 'match'], 'match is for A/B testing: add iterations', true)
  if (given.has('match') && ctx.router?.caps.headerRoutes === false)
    p.add([...at, 'match'], cannotRouteByHeader(ctx.router.name), true)
  if (given.has('mirror') && ctx.router?.caps.mirror === false)
    p.add([...at, 'mirror'], cannotMirror(ctx.router.name), true)
  if (shorthand && !given.has('interval'))
    p.add([...at, 'interval'], 'the shorthand needs interval (how long each weight is analysed)')
  if (shorthand && ctx.analysisMetrics === 0)
    p.add(at, 'the shorthand analyses every step: add spec.analysis.metrics (e.g. error-rate)')

  const { interval, mirror, stepWeight, maxWeight, stepWeights, match } = c.sound
  checkInterval(p, [...at, 'interval'], interval)
  checkDuration(p, [...at, 'mirror', 'duration'], mirror?.duration)
  if (stepWeight !== undefined && maxWeight !== undefined && stepWeight > maxWeight)
    p.add([...at, 'stepWeight'], `stepWeight ${stepWeight} is above maxWeight ${maxWeight}`)
  stepWeights?.forEach((w, i, all) => {
    if (i > 0 && w <= (all[i - 1] ?? 0))
      p.add([...at, 'stepWeights', i], `weights must increase (${all[i - 1] ?? 0} then ${w})`)
  })
  checkMatches(p, [...at, 'match'], match)
  soundItems(StepSchema, c.part('steps'))?.forEach((step, i) => {
    if (step !== undefined) checkStep(p, [...at, 'steps', i], step, ctx)
  })
}

/** One explicit step: exactly one action, and one the router can carry out. */
function checkStep(p: DocumentProblems, sp: Path, step: StepSpec, ctx: RolloutContext): void {
  const keys = presentKeys(StepSchema, step)
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
    if (ctx.router?.caps.headerRoutes === false)
      p.add([...sp, 'setHeaderRoute'], cannotRouteByHeader(ctx.router.name), true)
    checkMatches(p, [...sp, 'setHeaderRoute', 'match'], step.setHeaderRoute.match)
  }
  if (step.setMirrorRoute !== undefined) {
    if (ctx.router?.caps.mirror === false)
      p.add([...sp, 'setMirrorRoute'], cannotMirror(ctx.router.name), true)
    if (step.setMirrorRoute.percentage === undefined)
      p.add([...sp, 'setMirrorRoute', 'percentage'], 'is required (0 removes the mirror)')
    checkMatches(p, [...sp, 'setMirrorRoute', 'match'], step.setMirrorRoute.match)
  }
  if (step.setCanaryScale !== undefined) {
    const set = presentKeys(StepSchema.properties.setCanaryScale, step.setCanaryScale)
    if (set.length !== 1)
      p.add([...sp, 'setCanaryScale'], 'give one of replicas, weight, matchTrafficWeight')
  }
}
