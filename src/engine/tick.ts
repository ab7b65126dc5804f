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
import {
  isFrozen,
  isInFlight,
  type PauseReason,
  type RolloutStatus,
  type TrafficState,
} from './status.js'
import { nextPhase, type RolloutEvent } from './transitions.js'
import type { EngineAction, Observations, VersionObservation } from './types.js'
import { afterOutcome, webhookAbort } from './webhook-lifecycle.js'
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
    readonly status: RolloutStatus,
    readonly obs: Observations,
    readonly now: number,
  ) {}

  // ── phases and events ────────────────────────────────────────────────────────────────────────

  /** Moves the phase along the transition table; throws on a transition the table lacks (a bug). */
  transition(event: RolloutEvent, message: string): void {
    const to = nextPhase(this.status.phase, event)
    if (to === undefined) {
      throw new InternalError(
        `no transition for ${event} from phase ${this.status.phase} (rollout ${this.plan.name})`,
      )
    }
    this.status.phase = to
    this.status.message = message
    if (to !== 'Paused') this.status.pause = null
  }

  pauseFor(reason: PauseReason, event: RolloutEvent, message: string): void {
    this.transition(event, message)
    this.status.pause = { reason, since: this.now }
    this.emit('info', { reason: 'Paused', pauseReason: reason }, message)
  }

  emit(
    severity: Severity,
    data: EventData,
    message: string,
    canaryWeight = this.status.traffic.canaryWeight,
    revision = this.status.canaryRevision ?? this.status.revision,
  ): void {
    const event: EngineEvent = {
      at: this.now,
      severity,
      revision,
      canaryWeight,
      stepIndex: this.status.currentStepIndex,
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
      this.status.replicas[String(revision)] = replicas
      // A revision brought back (retry, revert) must not be scaled down by an older schedule.
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete this.status.scaleDownAt[String(revision)]
    } else {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete this.status.replicas[String(revision)]
    }
  }

  scaleDownLater(revision: number, delaySeconds: number): void {
    if (delaySeconds <= 0) this.setReplicas(revision, 0)
    else if (this.status.replicas[String(revision)] !== undefined)
      this.status.scaleDownAt[String(revision)] = this.now + delaySeconds * 1000
  }

  setCanaryWeight(weight: number): void {
    const before = this.status.traffic.canaryWeight
    if (before === weight) return
    this.status.traffic.canaryWeight = weight
    this.emit(
      'info',
      { reason: 'TrafficShifted', fromWeight: before, toWeight: weight },
      `${this.role} weight ${before}% → ${weight}%`,
    )
    const bg = this.status.analyses.background
    if (bg?.phase === 'Running' && this.plan.analysis !== undefined) {
      this.status.analyses.background = startSegment(this.plan.analysis, bg, this.now)
    }
  }

  /** Every user request goes to stable; routes to the canary removed. */
  trafficAllStable(): void {
    this.setCanaryWeight(0)
    this.status.traffic.headerRoutes = []
    this.status.traffic.mirror = null
  }

  // ── decisions shared by the strategies ───────────────────────────────────────────────────────

  /**
   * Rolls back: all traffic to stable at once, the canary scaled down after the abort delay.
   * Records the outcome with the step and weight at which the decision was taken.
   */
  abort(cause: RollbackCause, reason: string, abortScaleDownDelaySeconds: number): void {
    const canary = this.status.canaryRevision
    this.status.lastOutcome = {
      revision: canary ?? this.status.revision,
      result: 'RolledBack',
      at: this.now,
      stepIndex: this.status.currentStepIndex,
      canaryWeight: this.status.traffic.canaryWeight,
      reason,
    }
    this.status.abort = { reason, at: this.now, cause }
    endRuns(this, 'rolled back')
    this.trafficAllStable()
    if (canary !== null) this.scaleDownLater(canary, abortScaleDownDelaySeconds)
    if (this.status.stableRevision !== null)
      this.setReplicas(this.status.stableRevision, this.plan.replicas)
    this.transition('Abort', `rolled back revision ${canary ?? '?'}: ${reason}`)
    this.emit(
      'error',
      {
        reason: 'RolledBack',
        stableRevision: this.status.stableRevision,
        cause,
        explanation: reason,
      },
      `rolled back revision ${canary ?? '?'} to stable revision ${this.status.stableRevision ?? '?'}: ${reason}`,
      this.status.lastOutcome.canaryWeight,
    )
    afterOutcome(this, 'Failed', canary ?? this.status.revision)
  }

  /**
   * A failed analysis: the release rolls back, or, when the analysis says `onFailure: freeze`, it is
   * frozen where it stands (see `freeze`).
   */
  analysisFailed(
    plan: AnalysisPlan | undefined,
    cause: 'AnalysisFailed' | 'BackgroundAnalysisFailed',
    reason: string,
    abortDelay: number,
  ): void {
    if (plan?.onFailure === 'freeze') this.freeze(reason)
    else this.abort(cause, reason, abortDelay)
  }

  /**
   * Freezes the release: traffic and replicas stay as they are, every analysis stops, and the
   * rollout waits (Paused, `Frozen`) for a person: abort rolls back, promote promotes, retry runs
   * the analysis again. Said at error severity, so notifications carry it like a rollback.
   */
  freeze(reason: string): void {
    endRuns(this, 'frozen')
    const name = this.plan.name
    const message = `frozen at ${this.status.traffic.canaryWeight}%: ${reason} — \`kanari abort ${name}\` rolls back, \`kanari promote ${name}\` promotes, \`kanari retry ${name}\` runs the analysis again`
    this.transition('Freeze', message)
    this.status.pause = { reason: 'Frozen', since: this.now }
    this.status.deadlineReported = false
    this.emit('error', { reason: 'Paused', pauseReason: 'Frozen', explanation: reason }, message)
  }

  /**
   * While frozen only a person ends the wait (abort, a rollback webhook) — or the progress deadline,
   * when the spec sets one: counted from the freeze, it rolls back. True: the rollout stays frozen.
   */
  private frozenHolds(abortDelay: number): boolean {
    const s = this.status
    const limit = this.plan.frozenDeadlineSeconds
    if (limit === undefined || s.pause === null || this.now - s.pause.since <= limit * 1000)
      return true
    const msg = `frozen for more than ${limit}s without a decision (${s.message})`
    this.emit(
      'error',
      {
        reason: 'ProgressDeadlineExceeded',
        deadlineSeconds: limit,
        rollingBack: true,
        problem: null,
      },
      msg,
    )
    this.abort('ProgressDeadline', `progress deadline exceeded — ${msg}`, abortDelay)
    return false
  }

  /** The canary becomes stable; the old stable is scaled down after `scaleDownDelaySeconds`. */
  finishPromotion(scaleDownDelaySeconds: number): void {
    const canary = this.status.canaryRevision
    const old = this.status.stableRevision
    const byUser = this.status.promoteFull
    if (canary === null)
      throw new InternalError(`finishPromotion without a canary (rollout ${this.plan.name})`)
    this.status.lastOutcome = {
      revision: canary,
      result: 'Promoted',
      at: this.now,
      stepIndex: this.status.currentStepIndex,
      canaryWeight: this.status.traffic.canaryWeight,
      reason: this.status.promoteFull ? 'promoted by user (--full)' : 'all steps passed',
    }
    endRuns(this, 'promoted')
    this.status.stableRevision = canary
    this.status.canaryRevision = null
    this.status.traffic = Tick.stableOnly(canary)
    this.setReplicas(canary, this.plan.replicas)
    if (old !== null && old !== canary) this.scaleDownLater(old, scaleDownDelaySeconds)
    this.status.promoteFull = false
    this.status.canaryScale = null
    this.status.blueGreenStage = null
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
   * failed background analysis, the progress deadline. Returns true when the rollout was rolled back
   * or frozen just now.
   */
  checkAborts(abortDelay: number, plannedStepSeconds: number): boolean {
    const s = this.status
    if (s.abort !== null) {
      this.abort(s.abort.cause, s.abort.reason, abortDelay)
      return true
    }
    const hooked = webhookAbort(this)
    if (hooked !== null && (hooked.cause === 'WebhookRollback' || !isFrozen(s))) {
      this.abort(hooked.cause, hooked.reason, abortDelay)
      return true
    }
    if (isFrozen(s)) return !this.frozenHolds(abortDelay)
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
      this.analysisFailed(
        this.plan.analysis,
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
    return isInFlight(this.status.phase)
  }

  /**
   * The prologue every strategy runs each tick: roll back if something demands it, stay put while
   * paused, and pause when the user or the spec asks. True when the strategy must not go on. A
   * rollout waiting at a closed gate goes on: the strategy asks its gate again.
   */
  holds(abortDelay: number, plannedStepSeconds: number): boolean {
    if (this.checkAborts(abortDelay, plannedStepSeconds)) return true
    if (holdsForMonitoring(this)) return true
    if (this.status.phase === 'Paused')
      return this.status.pause?.reason !== 'Gate' || this.plan.paused || this.status.userPaused
    if (this.plan.paused || this.status.userPaused) {
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
      `step ${this.status.currentStepIndex + 1} done: ${what}`,
    )
    this.status.currentStepIndex++
    this.status.stepStartedAt = this.now
    this.status.deadlineReported = false
  }
}
