/**
 * One engine tick's working state: the status being built, the observations, and the helpers every
 * strategy uses (phase transitions through the table, events, traffic, abort, promotion). Analysis
 * runs are in ./analysis-runs.ts.
 */
import { runDurationSeconds, startSegment } from '../analysis/run.js'
import type { AnalysisPlan } from '../analysis/types.js'
import { InternalError } from '../errors.js'
import { endRuns } from './analysis-runs.js'
import { holdsForMonitoring } from './monitoring-hold.js'
import type { CompletedStep, EngineEvent, EventData, RollbackCause } from './events.js'
import type { RolloutPlan, Severity } from './plan.js'
import type { PauseReason, RolloutStatus, TrafficState } from './status.js'
import { nextPhase, type RolloutEvent } from './transitions.js'
import type { EngineAction, Observations, VersionObservation } from './types.js'
import { afterOutcome, webhookAbort } from './webhooks.js'
import { waitingCause } from './workload-problems.js'

/** Header a client sends to reach a blue-green preview through the router. */
export const PREVIEW_HEADER = 'x-kanari-preview'

export class Tick {
  readonly events: EngineAction[] = []
  readonly measures: EngineAction[] = []
  /** Webhook calls asked for by this tick. */
  readonly calls: EngineAction[] = []

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
    this.emit('info', { reason: 'Paused', pauseReason: reason }, message)
  }

  emit(
    severity: Severity,
    data: EventData,
    message: string,
    canaryWeight = this.s.traffic.canaryWeight,
    revision = this.s.canaryRevision ?? this.s.revision,
  ): void {
    const event: EngineEvent = {
      at: this.now,
      severity,
      revision,
      canaryWeight,
      stepIndex: this.s.currentStepIndex,
      message,
      ...data,
    }
    this.events.push({ type: 'event', event })
  }

  /** What people call the new revision: a blue-green preview, or a canary. */
  get role(): 'canary' | 'preview' {
    return this.plan.strategy.kind === 'blueGreen' ? 'preview' : 'canary'
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
    this.emit(
      'info',
      { reason: 'TrafficShifted', fromWeight: before, toWeight: weight },
      `${this.role} weight ${before}% → ${weight}%`,
    )
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

  // ── decisions shared by the strategies ───────────────────────────────────────────────────────

  /**
   * Rolls back: all traffic to stable at once, the canary scaled down after the abort delay.
   * Records the outcome with the step and weight at which the decision was taken.
   */
  abort(cause: RollbackCause, reason: string, abortScaleDownDelaySeconds: number): void {
    const canary = this.s.canaryRevision
    this.s.lastOutcome = {
      revision: canary ?? this.s.revision,
      result: 'RolledBack',
      at: this.now,
      stepIndex: this.s.currentStepIndex,
      canaryWeight: this.s.traffic.canaryWeight,
      reason,
    }
    this.s.abort = { reason, at: this.now, cause }
    endRuns(this, 'rolled back')
    this.trafficAllStable()
    if (canary !== null) this.scaleDownLater(canary, abortScaleDownDelaySeconds)
    if (this.s.stableRevision !== null) this.setReplicas(this.s.stableRevision, this.plan.replicas)
    this.transition('Abort', `rolled back revision ${canary ?? '?'}: ${reason}`)
    this.emit(
      'error',
      { reason: 'RolledBack', stableRevision: this.s.stableRevision, cause, explanation: reason },
      `rolled back revision ${canary ?? '?'} to stable revision ${this.s.stableRevision ?? '?'}: ${reason}`,
      this.s.lastOutcome.canaryWeight,
    )
    afterOutcome(this, 'Failed', canary ?? this.s.revision)
  }

  /** The canary becomes stable; the old stable is scaled down after `scaleDownDelaySeconds`. */
  finishPromotion(scaleDownDelaySeconds: number): void {
    const canary = this.s.canaryRevision
    const old = this.s.stableRevision
    const byUser = this.s.promoteFull
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
    endRuns(this, 'promoted')
    this.s.stableRevision = canary
    this.s.canaryRevision = null
    this.s.traffic = Tick.stableOnly(canary)
    this.setReplicas(canary, this.plan.replicas)
    if (old !== null && old !== canary) this.scaleDownLater(old, scaleDownDelaySeconds)
    this.s.promoteFull = false
    this.s.canaryScale = null
    this.s.blueGreenStage = null
    this.transition('PromotionCompleted', `revision ${canary} promoted; serving 100% of traffic`)
    this.emit(
      'info',
      { reason: 'Promoted', previousStable: old, byUser },
      `revision ${canary} promoted to stable (was ${old ?? 'none'})`,
    )
    afterOutcome(this, 'Succeeded', canary)
  }

  /**
   * Checks that end an in-flight rollout whatever step it is on: a user abort, a crash-looping canary,
   * failed background analysis, the progress deadline. Returns true when the rollout was rolled back.
   */
  checkAborts(abortDelay: number, plannedStepSeconds: number): boolean {
    const s = this.s
    if (s.abort !== null) {
      this.abort(s.abort.cause, s.abort.reason, abortDelay)
      return true
    }
    const hooked = webhookAbort(this)
    if (hooked !== null) {
      this.abort(hooked.cause, hooked.reason, abortDelay)
      return true
    }
    const canary = this.version(s.canaryRevision)
    if (canary.crashLooping) {
      this.abort(
        'CrashLoop',
        `${this.role} revision ${s.canaryRevision ?? '?'} is crash-looping (${canary.ready}/${canary.desired} ready)${waitingCause(this, s.canaryRevision)}`,
        abortDelay,
      )
      return true
    }
    const bg = s.analyses.background
    if (bg !== null && (bg.phase === 'Failed' || bg.phase === 'Error')) {
      this.abort(
        'BackgroundAnalysisFailed',
        `background analysis ${bg.phase.toLowerCase()}: ${bg.message}`,
        abortDelay,
      )
      return true
    }
    // A monitoring hold is bounded by its grace, and its time is given back to the step after it.
    if (s.phase !== 'Paused' && !s.deadlineReported && s.monitoringHold == null) {
      const limit = (plannedStepSeconds + this.plan.progressDeadlineSeconds) * 1000
      if (this.now - s.stepStartedAt > limit) {
        const msg = `no progress for ${this.plan.progressDeadlineSeconds}s past the step's planned time (step ${s.currentStepIndex + 1}: ${s.message})`
        const deadline = {
          reason: 'ProgressDeadlineExceeded' as const,
          deadlineSeconds: this.plan.progressDeadlineSeconds,
          rollingBack: this.plan.progressDeadlineAbort,
          problem: canary.problem ?? null,
        }
        if (this.plan.progressDeadlineAbort) {
          this.emit('error', deadline, msg)
          this.abort('ProgressDeadline', `progress deadline exceeded — ${msg}`, abortDelay)
          return true
        }
        s.deadlineReported = true
        this.emit('warn', deadline, msg)
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
   * paused, and pause when the user or the spec asks. True when the strategy must not go on. A
   * rollout waiting at a closed gate goes on: the strategy asks its gate again.
   */
  holds(abortDelay: number, plannedStepSeconds: number): boolean {
    if (this.checkAborts(abortDelay, plannedStepSeconds)) return true
    if (holdsForMonitoring(this)) return true
    if (this.s.phase === 'Paused')
      return this.s.pause?.reason !== 'Gate' || this.plan.paused || this.s.userPaused
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
  completeStep(step: CompletedStep, what: string): void {
    this.emit(
      'info',
      { reason: 'StepCompleted', step },
      `step ${this.s.currentStepIndex + 1} done: ${what}`,
    )
    this.s.currentStepIndex++
    this.s.stepStartedAt = this.now
    this.s.deadlineReported = false
  }
}
