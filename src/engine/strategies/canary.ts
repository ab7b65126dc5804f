/**
 * Canary: weighted steps with pauses, analyses, header routes and mirroring, then promotion.
 * The canary runs at full size by default (Flagger's model) so a fault that grows with load shows
 * as its share of traffic grows; `setCanaryScale` changes that.
 */
import type { CompletedStep } from '../events.js'
import { describeMatch, type CanaryPlan, type CanaryStep } from '../plan.js'
import { Tick } from '../tick.js'
import { currentRun, startRun, withCarriedChecks } from '../analysis-runs.js'
import { reviewHolds, reviewSeconds } from '../promotion-review.js'
import { beforeFirstTraffic, passGate } from '../webhook-gates.js'
import { rolloutHooksHold } from '../webhook-lifecycle.js'
import { waitingCause } from '../workload-problems.js'

/** Replicas the canary should have now. */
export function canaryReplicas(t: Tick): number {
  const scale = t.status.canaryScale
  const replicas = t.plan.replicas
  if (scale === null) return replicas
  if (scale.replicas !== undefined) return scale.replicas
  const weight =
    scale.weight ?? (scale.matchTrafficWeight === true ? t.status.traffic.canaryWeight : 100)
  return Math.max(1, Math.ceil((replicas * weight) / 100))
}

/** Sets up a fresh canary run of the steps (new revision or retry). */
export function startCanary(t: Tick): void {
  const s = t.status
  s.currentStepIndex = 0
  s.stepStartedAt = t.now
  s.canaryScale = null
  s.analyses.step = null
  s.failedChecks = 0
  s.analyses.background = t.plan.analysis === undefined ? null : startRun(t, t.plan.analysis)
  if (s.canaryRevision !== null) t.setReplicas(s.canaryRevision, canaryReplicas(t))
}

function stepLabel(step: CanaryStep): string {
  switch (step.kind) {
    case 'setWeight':
      return `set canary weight ${step.weight}%`
    case 'pause':
      return step.durationSeconds === undefined
        ? 'pause until promoted'
        : `pause ${step.durationSeconds}s`
    case 'analysis':
      return `analysis (${step.analysis.metrics.map((m) => m.name).join(', ')})`
    case 'setHeaderRoute':
      return step.match.length === 0
        ? `remove header route ${step.name}`
        : `header route ${step.name} to canary (${step.match.map(describeMatch).join(' or ')})`
    case 'setMirrorRoute':
      return step.percentage === 0
        ? `remove mirror ${step.name}`
        : `mirror ${step.percentage}% to canary`
    case 'setCanaryScale':
      return 'set canary scale'
  }
}

/** What a completed step did, as event data. */
function completed(step: CanaryStep): CompletedStep {
  switch (step.kind) {
    case 'setWeight':
      return { kind: 'setWeight', weight: step.weight }
    case 'pause':
      return { kind: 'pause', durationSeconds: step.durationSeconds ?? null }
    case 'analysis':
      return { kind: 'analysis', metrics: step.analysis.metrics.map((m) => m.name) }
    case 'setHeaderRoute':
      return { kind: 'setHeaderRoute', name: step.name, match: step.match }
    case 'setMirrorRoute':
      return {
        kind: 'setMirrorRoute',
        name: step.name,
        percentage: step.percentage,
        match: step.match,
      }
    case 'setCanaryScale':
      return { kind: 'setCanaryScale' }
  }
}

/** Seconds a step is planned to take when all goes well (for the progress deadline). */
function plannedSeconds(step: CanaryStep | undefined): number {
  if (step?.kind === 'pause') return step.durationSeconds ?? 0
  if (step?.kind === 'analysis') return Tick.plannedRunSeconds(step.analysis)
  return 0
}

/**
 * Scales the canary to its size for this step; true once every replica is ready, so no traffic is
 * sent to a canary that cannot answer it yet (weights, header routes and mirrors alike).
 */
function canaryReady(t: Tick, before: string): boolean {
  const s = t.status
  const want = canaryReplicas(t)
  if (s.canaryRevision !== null) t.setReplicas(s.canaryRevision, want)
  const ready = t.version(s.canaryRevision).ready
  if (ready >= want) return true
  s.message = `waiting for canary replicas before ${before} (${ready}/${want} ready)${waitingCause(t, s.canaryRevision)}`
  return false
}

/** Runs one step; true when it is complete. */
function runStep(t: Tick, strategy: CanaryPlan, step: CanaryStep): boolean {
  const s = t.status
  switch (step.kind) {
    case 'setWeight': {
      if (step.weight > 0 && !canaryReady(t, `shifting ${step.weight}%`)) return false
      if (step.weight > 0 && !beforeFirstTraffic(t)) return false
      if (strategy.ab !== undefined) return true
      if (
        step.weight > s.traffic.canaryWeight &&
        !passGate(t, 'confirm-traffic-increase', `raising the canary to ${step.weight}%`)
      )
        return false
      t.setCanaryWeight(step.weight)
      return true
    }
    case 'pause': {
      if (step.durationSeconds === undefined) {
        t.pauseFor(
          'PauseStep',
          'PauseStep',
          `paused at step ${s.currentStepIndex + 1} until promoted (\`kanari promote ${t.plan.name}\`)`,
        )
        return false
      }
      const left = s.stepStartedAt + step.durationSeconds * 1000 - t.now
      if (left > 0) {
        s.message = `pausing ${step.durationSeconds}s at ${s.traffic.canaryWeight}% (${Math.ceil(left / 1000)}s left)`
        return false
      }
      return !awaitingBackground(t, `going past step ${s.currentStepIndex + 1}`)
    }
    case 'analysis': {
      let run = currentRun(t, 'step', s.currentStepIndex)
      if (run === undefined) {
        run = startRun(t, withCarriedChecks(t, step.analysis), s.currentStepIndex)
        s.analyses.step = run
      }
      switch (run.phase) {
        case 'Running':
          s.message = `analysing at ${s.traffic.canaryWeight}%: ${run.message}`
          return false
        case 'Successful':
          s.failedChecks += run.failedChecks
          return true
        case 'Inconclusive':
          t.pauseFor(
            'Inconclusive',
            'AnalysisInconclusive',
            `analysis inconclusive at step ${s.currentStepIndex + 1}: ${run.message} — promote to go on, resume to re-run, abort to roll back`,
          )
          return false
        case 'Failed':
        case 'Error':
          t.analysisFailed(
            step.analysis,
            'AnalysisFailed',
            `analysis ${run.phase.toLowerCase()} at ${s.traffic.canaryWeight}%: ${run.message}`,
            strategy.abortScaleDownDelaySeconds,
          )
          return false
      }
      return false
    }
    case 'setHeaderRoute': {
      if (step.match.length > 0 && !canaryReady(t, `routing header ${step.name}`)) return false
      if (step.match.length > 0 && !beforeFirstTraffic(t)) return false
      const routes = s.traffic.headerRoutes.filter((r) => r.name !== step.name)
      if (step.match.length > 0) routes.push({ name: step.name, match: step.match })
      s.traffic.headerRoutes = routes
      return true
    }
    case 'setMirrorRoute':
      if (step.percentage > 0 && !canaryReady(t, `mirroring ${step.percentage}%`)) return false
      if (step.percentage > 0 && !beforeFirstTraffic(t)) return false
      s.traffic.mirror =
        step.percentage === 0
          ? null
          : { name: step.name, percentage: step.percentage, match: step.match }
      return true
    case 'setCanaryScale': {
      const scale: NonNullable<typeof s.canaryScale> = {}
      if (step.replicas !== undefined) scale.replicas = step.replicas
      if (step.weight !== undefined) scale.weight = step.weight
      if (step.matchTrafficWeight !== undefined) scale.matchTrafficWeight = step.matchTrafficWeight
      s.canaryScale = scale
      if (s.canaryRevision !== null) t.setReplicas(s.canaryRevision, canaryReplicas(t))
      return true
    }
  }
}

/** Promotion: canary at full size and ready, then it becomes stable. True when done. */
function promote(t: Tick, strategy: CanaryPlan): boolean {
  const s = t.status
  s.canaryScale = null
  if (s.canaryRevision === null) return true
  t.setReplicas(s.canaryRevision, t.plan.replicas)
  const ready = t.version(s.canaryRevision).ready
  if (ready < t.plan.replicas) {
    s.message = `promoting: waiting for canary replicas (${ready}/${t.plan.replicas} ready)${waitingCause(t, s.canaryRevision)}`
    return false
  }
  t.finishPromotion(strategy.scaleDownDelaySeconds)
  return true
}

/**
 * No data means no promotion: while the background analysis runs without a passing verdict on
 * enough data (its minimum sample not reached, or its latest checks not all passing), the rollout
 * goes neither past a timed pause nor into promotion. It waits, saying so; a background analysis
 * that fails rolls it back (`checkAborts`), and the progress deadline bounds the wait.
 */
function awaitingBackground(t: Tick, before: string): boolean {
  const bg = t.status.analyses.background
  if (bg === null || bg.phase !== 'Running' || bg.passing) return false
  t.status.message = `waiting for background analysis data before ${before}: ${bg.message}`
  return true
}

/** A rollout webhook's latest call did not pass: the canary does not advance (Flagger). */
function held(t: Tick): boolean {
  const hold = rolloutHooksHold(t)
  if (hold !== null) t.status.message = hold
  return hold !== null
}

export function progressCanary(t: Tick, strategy: CanaryPlan): void {
  const s = t.status
  for (let guard = 0; guard < 4 * strategy.steps.length + 8; guard++) {
    if (!t.inFlight()) return
    const step = s.phase === 'Promoting' ? undefined : strategy.steps[s.currentStepIndex]
    const planned =
      step === undefined && s.phase !== 'Promoting' ? reviewSeconds(t) : plannedSeconds(step)
    if (t.holds(strategy.abortScaleDownDelaySeconds, planned)) return
    if (s.phase === 'Promoting') {
      promote(t, strategy)
      return
    }
    if (s.promoteFull) {
      t.transition('PromoteFull', 'promoting at once (--full)')
      s.stepStartedAt = t.now
      continue
    }
    if (step === undefined) {
      // A confirm-promotion webhook first, then the advisor's review (when the plan asks for one).
      if (
        held(t) ||
        awaitingBackground(t, 'promotion') ||
        !passGate(t, 'confirm-promotion', 'promotion') ||
        reviewHolds(t)
      )
        return
      t.transition('StepsCompleted', `all ${strategy.steps.length} steps passed; promoting`)
      s.stepStartedAt = t.now
      continue
    }
    if (!runStep(t, strategy, step) || held(t)) return
    t.completeStep(completed(step), stepLabel(step))
  }
}
