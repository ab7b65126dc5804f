/**
 * One engine tick's working state: the status being built, the observations, and the helpers every
 * strategy uses (phase transitions through the table, events, abort, analysis runs, promotion).
 */
import {
  recordMeasurements,
  requestMeasurements,
  runDurationSeconds,
  startAnalysisRun,
  startSegment,
} from '../analysis/run.js'
import type { AnalysisPlan, AnalysisRunStatus } from '../analysis/types.js'
import { InternalError } from '../errors.js'
import type { RolloutPlan, Severity } from './plan.js'
import type { PauseReason, RolloutStatus, TrafficState } from './status.js'
import { nextPhase, type RolloutEvent } from './transitions.js'
import type { EngineAction, Observations, VersionObservation } from './types.js'

/** Header a client sends to reach a blue-green preview through the router. */
export const PREVIEW_HEADER = 'x-kanari-preview'

export class Tick {
  readonly events: EngineAction[] = []
  readonly measures: EngineAction[] = []

  constructor(
    readonly plan: RolloutPlan,
    readonly s: RolloutStatus,
    readonly obs: Observations,
    readonly now: number,
  ) {}

  // ── phases and events ────────────────────────────────────────────────────────────────────────

  /** Moves the phase along the transition table; throws on a transition the table lacks (a bug). */
  transition(event: RolloutEvent, message: string): void {
    const to = nextPhase(this.s.phase, event)
    if (to === undefined) {
      throw new InternalError(
        `no transition for ${event} from phase ${this.s.phase} (rollout ${this.plan.name})`,
      )
    }
    this.s.phase = to
    this.s.message = message
    if (to !== 'Paused') this.s.pause = null
  }

  pauseFor(reason: PauseReason, event: RolloutEvent, message: string): void {
    this.transition(event, message)
    this.s.pause = { reason, since: this.now }
    this.emit('info', 'Paused', message)
  }

  emit(
    severity: Severity,
    reason: string,
    message: string,
    canaryWeight = this.s.traffic.canaryWeight,
  ): void {
    this.events.push({
      type: 'event',
      severity,
      reason,
      message,
      revision: this.s.canaryRevision ?? this.s.revision,
      canaryWeight,
      stepIndex: this.s.currentStepIndex,
    })
  }

  version(revision: number | null): VersionObservation {
    if (revision === null) return { desired: 0, ready: 0, crashLooping: false }
    return this.obs.versions[String(revision)] ?? { desired: 0, ready: 0, crashLooping: false }
  }

  // ── replicas and traffic ─────────────────────────────────────────────────────────────────────

  setReplicas(revision: number, replicas: number): void {
    if (replicas > 0) {
      this.s.replicas[String(revision)] = replicas
      // A revision brought back (retry, revert) must not be scaled down by an older schedule.
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete this.s.scaleDownAt[String(revision)]
    } else {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete this.s.replicas[String(revision)]
    }
  }

  scaleDownLater(revision: number, delaySeconds: number): void {
    if (delaySeconds <= 0) this.setReplicas(revision, 0)
    else if (this.s.replicas[String(revision)] !== undefined)
      this.s.scaleDownAt[String(revision)] = this.now + delaySeconds * 1000
  }

  setCanaryWeight(weight: number): void {
    const before = this.s.traffic.canaryWeight
    if (before === weight) return
    this.s.traffic.canaryWeight = weight
    this.emit('info', 'TrafficShifted', `canary weight ${before}% → ${weight}%`)
    const bg = this.s.analyses.background
    if (bg?.phase === 'Running' && this.plan.analysis !== undefined) {
      this.s.analyses.background = startSegment(this.plan.analysis, bg, this.now)
    }
  }

  /** Every user request goes to stable; routes to the canary removed. */
  trafficAllStable(): void {
    this.setCanaryWeight(0)
    this.s.traffic.headerRoutes = []
    this.s.traffic.mirror = null
  }

  // ── analysis runs ────────────────────────────────────────────────────────────────────────────

  startRun(plan: AnalysisPlan, key: string): AnalysisRunStatus {
    this.s.runCounter++
    const id = `${key}:${this.s.revision}:${this.s.runCounter}`
    const run = startAnalysisRun(plan, id, this.now)
    this.emit(
      'info',
      'AnalysisStarted',
      `${plan.kind} analysis ${id} started (${plan.judge} judge, metrics: ${plan.metrics.map((m) => m.name).join(', ')})`,
    )
    return run
  }

  /** The plan an existing run belongs to, or undefined when the spec no longer has it. */
  planForRun(run: AnalysisRunStatus): AnalysisPlan | undefined {
    if (run.kind === 'background') return this.plan.analysis
    const strategy = this.plan.strategy
    if (run.kind === 'prePromotion')
      return strategy.kind === 'blueGreen' ? strategy.prePromotionAnalysis : undefined
    if (run.kind === 'postPromotion')
      return strategy.kind === 'blueGreen' ? strategy.postPromotionAnalysis : undefined
    if (strategy.kind !== 'canary') return undefined
    const index = Number(run.id.split(':')[1])
    const step = strategy.steps[index]
    if (step?.kind !== 'analysis') return undefined
    return this.withCarriedChecks(step.analysis)
  }

  /** Threshold judge: failed checks of earlier steps count toward this run's threshold (Flagger). */
  withCarriedChecks(plan: AnalysisPlan): AnalysisPlan {
    if (plan.judge !== 'threshold' || this.s.failedChecks === 0) return plan
    return { ...plan, threshold: Math.max(1, plan.threshold - this.s.failedChecks) }
  }

  /** Feeds this tick's measurements into the active runs and re-judges them. */
  foldMeasurements(): void {
    const fold = (run: AnalysisRunStatus | null): AnalysisRunStatus | null => {
      if (run?.phase !== 'Running') return run
      const plan = this.planForRun(run)
      if (plan === undefined)
        return {
          ...run,
          phase: 'Inconclusive',
          endedAt: this.now,
          message: 'analysis removed from the spec',
        }
      const mine = this.obs.measurements.filter((m) => m.runId === run.id).map((m) => m.measurement)
      const next = recordMeasurements(plan, run, mine, this.now)
      if (next.phase !== 'Running') {
        const severity: Severity = next.phase === 'Successful' ? 'info' : 'error'
        this.emit(
          severity,
          `Analysis${next.phase}`,
          `${run.kind} analysis ${next.phase.toLowerCase()}: ${next.message}`,
        )
      }
      return next
    }
    this.s.analyses.background = fold(this.s.analyses.background)
    this.s.analyses.step = fold(this.s.analyses.step)
  }

  requestMeasurements(): void {
    for (const key of ['background', 'step'] as const) {
      const run = this.s.analyses[key]
      if (run?.phase !== 'Running') continue
      const plan = this.planForRun(run)
      if (plan === undefined) continue
      const res = requestMeasurements(plan, run, run.id, this.now)
      this.s.analyses[key] = res.run
      for (const request of res.requests) this.measures.push({ type: 'measure', request })
    }
  }

  /** Stops every running analysis (rollout decided or replaced). */
  endRuns(reason: string): void {
    for (const key of ['background', 'step'] as const) {
      const run = this.s.analyses[key]
      if (run?.phase === 'Running') {
        this.s.analyses[key] = {
          ...run,
          phase: 'Inconclusive',
          endedAt: this.now,
          message: `${run.message} — stopped: ${reason}`,
        }
      }
    }
  }

  // ── decisions shared by the strategies ───────────────────────────────────────────────────────

  /**
   * Rolls back: all traffic to stable at once, the canary scaled down after the abort delay.
   * Records the outcome with the step and weight at which the decision was taken.
   */
  abort(reason: string, abortScaleDownDelaySeconds: number): void {
    const canary = this.s.canaryRevision
    this.s.lastOutcome = {
      revision: canary ?? this.s.revision,
      result: 'RolledBack',
      at: this.now,
      stepIndex: this.s.currentStepIndex,
      canaryWeight: this.s.traffic.canaryWeight,
      reason,
    }
    this.s.abort = { reason, at: this.now }
    this.endRuns('rolled back')
    this.trafficAllStable()
    if (canary !== null) this.scaleDownLater(canary, abortScaleDownDelaySeconds)
    if (this.s.stableRevision !== null) this.setReplicas(this.s.stableRevision, this.plan.replicas)
    this.transition('Abort', `rolled back revision ${canary ?? '?'}: ${reason}`)
    this.emit(
      'error',
      'RolledBack',
      `rolled back revision ${canary ?? '?'} to stable revision ${this.s.stableRevision ?? '?'}: ${reason}`,
      this.s.lastOutcome.canaryWeight,
    )
  }

  /** The canary becomes stable; the old stable is scaled down after `scaleDownDelaySeconds`. */
  finishPromotion(scaleDownDelaySeconds: number): void {
    const canary = this.s.canaryRevision
    const old = this.s.stableRevision
    if (canary === null)
      throw new InternalError(`finishPromotion without a canary (rollout ${this.plan.name})`)
    this.s.lastOutcome = {
      revision: canary,
      result: 'Promoted',
      at: this.now,
      stepIndex: this.s.currentStepIndex,
      canaryWeight: this.s.traffic.canaryWeight,
      reason: this.s.promoteFull ? 'promoted by user (--full)' : 'all steps passed',
    }
    this.endRuns('promoted')
    this.s.stableRevision = canary
    this.s.canaryRevision = null
    this.s.traffic = Tick.stableOnly(canary)
    this.setReplicas(canary, this.plan.replicas)
    if (old !== null && old !== canary) this.scaleDownLater(old, scaleDownDelaySeconds)
    this.s.promoteFull = false
    this.s.canaryScale = null
    this.transition('PromotionCompleted', `revision ${canary} promoted; serving 100% of traffic`)
    this.emit('info', 'Promoted', `revision ${canary} promoted to stable (was ${old ?? 'none'})`)
  }

  /**
   * Checks that end an in-flight rollout whatever step it is on: a user abort, a crash-looping canary,
   * failed background analysis, the progress deadline. Returns true when the rollout was rolled back.
   */
  checkAborts(abortDelay: number, plannedStepSeconds: number): boolean {
    const s = this.s
    if (s.abort !== null) {
      this.abort(s.abort.reason, abortDelay)
      return true
    }
    const canary = this.version(s.canaryRevision)
    if (canary.crashLooping) {
      this.abort(
        `canary revision ${s.canaryRevision ?? '?'} is crash-looping (${canary.ready}/${canary.desired} ready)`,
        abortDelay,
      )
      return true
    }
    const bg = s.analyses.background
    if (bg !== null && (bg.phase === 'Failed' || bg.phase === 'Error')) {
      this.abort(`background analysis ${bg.phase.toLowerCase()}: ${bg.message}`, abortDelay)
      return true
    }
    if (s.phase !== 'Paused' && !s.deadlineReported) {
      const limit = (plannedStepSeconds + this.plan.progressDeadlineSeconds) * 1000
      if (this.now - s.stepStartedAt > limit) {
        const msg = `no progress for ${this.plan.progressDeadlineSeconds}s past the step's planned time (step ${s.currentStepIndex + 1}: ${s.message})`
        if (this.plan.progressDeadlineAbort) {
          this.emit('error', 'ProgressDeadlineExceeded', msg)
          this.abort(`progress deadline exceeded — ${msg}`, abortDelay)
          return true
        }
        s.deadlineReported = true
        this.emit('warn', 'ProgressDeadlineExceeded', msg)
      }
    }
    if (bg?.phase === 'Inconclusive' && s.phase !== 'Paused') {
      this.pauseFor(
        'Inconclusive',
        'AnalysisInconclusive',
        `background analysis inconclusive: ${bg.message} — promote to go on, abort to roll back`,
      )
      return false
    }
    return false
  }

  inFlight(): boolean {
    return (
      this.s.phase === 'Progressing' || this.s.phase === 'Paused' || this.s.phase === 'Promoting'
    )
  }

  /**
   * The prologue every strategy runs each tick: roll back if something demands it, stay put while
   * paused, and pause when the user or the spec asks. True when the strategy must not go on.
   */
  holds(abortDelay: number, plannedStepSeconds: number): boolean {
    if (this.checkAborts(abortDelay, plannedStepSeconds)) return true
    if (this.s.phase === 'Paused') return true
    if (this.plan.paused || this.s.userPaused) {
      this.pauseFor(
        'UserPause',
        'UserPause',
        this.plan.paused
          ? 'paused by spec.paused'
          : `paused by user (\`kanari resume ${this.plan.name}\` to continue)`,
      )
      return true
    }
    return false
  }

  /** Traffic with every user on `stable` and no canary. */
  static stableOnly(stable: number | null, canary: number | null = null): TrafficState {
    return {
      stableRevision: stable,
      canaryRevision: canary,
      canaryWeight: 0,
      headerRoutes: [],
      mirror: null,
    }
  }

  /** Time planned for a run when nothing goes wrong (for the progress deadline). */
  static plannedRunSeconds(plan: AnalysisPlan | undefined): number {
    return plan === undefined ? 0 : (runDurationSeconds(plan) ?? 0)
  }

  /** Marks the step done and moves to the next. */
  completeStep(what: string): void {
    this.emit('info', 'StepCompleted', `step ${this.s.currentStepIndex + 1} done: ${what}`)
    this.s.currentStepIndex++
    this.s.stepStartedAt = this.now
    this.s.deadlineReported = false
  }
}
