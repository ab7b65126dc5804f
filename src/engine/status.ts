/**
 * The rollout status: everything the engine remembers between ticks. It is plain JSON, persisted by
 * the driver before any action runs, so a fresh driver given it continues where the old one stopped.
 */
import type { AnalysisRunStatus } from '../analysis/types.js'
import type { RollbackCause } from './events.js'
import type { RequestMatch, WebhookType } from './plan.js'
import type { ReviewOutcome, WorkloadProblemReason } from './types.js'
import type { WebhookState } from './webhook-types.js'

/** Every phase a rollout can be in: the one list the type, the phase table and the metrics use. */
export const PHASES = [
  'Initializing',
  'Progressing',
  'Paused',
  'Promoting',
  'Healthy',
  'RolledBack',
] as const
export type Phase = (typeof PHASES)[number]

/** The phases of a release under way: rolled forward, waiting, or being promoted. */
export const IN_FLIGHT_PHASES = ['Progressing', 'Paused', 'Promoting'] as const satisfies Phase[]

export function isInFlight(phase: Phase): boolean {
  return (IN_FLIGHT_PHASES as readonly Phase[]).includes(phase)
}

/** A failed analysis froze the release where it stands (see `Tick.freeze`). */
export function isFrozen(status: Pick<RolloutStatus, 'phase' | 'pause'>): boolean {
  return status.phase === 'Paused' && status.pause?.reason === 'Frozen'
}

/**
 * `Gate`: a confirm-* webhook answered no; it is asked again each interval. `AdvisorDisagreed`: the
 * advisor's review did not agree with an automatic promotion. `Frozen`: an analysis with
 * `onFailure: freeze` failed; traffic stays where it is until abort, promote or retry.
 */
export type PauseReason =
  | 'PauseStep'
  | 'UserPause'
  | 'Inconclusive'
  | 'WaitingPromotion'
  | 'Gate'
  | 'AdvisorDisagreed'
  | 'Frozen'

/** Blue-green: the preview waits for readiness, analysis and approval, then the switch is approved. */
export type BlueGreenStage = 'Preview' | 'Approved'

export interface HeaderRouteState {
  name: string
  match: RequestMatch[]
}

export interface MirrorState {
  name: string
  percentage: number
  match: RequestMatch[]
}

/** Where traffic should go: the split between stable and canary, plus routes that bypass it. */
export interface TrafficState {
  stableRevision: number | null
  canaryRevision: number | null
  /** Percent of weighted traffic sent to the canary revision (0..100); the rest goes to stable. */
  canaryWeight: number
  headerRoutes: HeaderRouteState[]
  mirror: MirrorState | null
}

export interface RolloutOutcome {
  revision: number
  result: 'Promoted' | 'RolledBack'
  at: number
  /** Step index the decision was taken at (canary), and the canary weight then. */
  stepIndex: number
  canaryWeight: number
  reason: string
}

export interface MonitoringHold {
  /** Epoch ms of the first errored measurement. */
  since: number
  /** Epoch ms of the tick that began the hold. */
  heldAt: number
  metrics: string[]
  graceSeconds: number
}

export interface RolloutStatus {
  phase: Phase
  /** One human sentence on what the rollout is doing or why it stopped. */
  message: string
  /** The revision the plan asks for (the latest applied). 0 before the first tick. */
  revision: number
  /** The revision serving users, or null before the first one is ready. */
  stableRevision: number | null
  /** The revision being rolled out, or null when none is in flight. */
  canaryRevision: number | null
  currentStepIndex: number
  stepStartedAt: number
  /** When the current canary (or initial deploy) started. */
  rolloutStartedAt: number
  /**
   * Set by pause steps, the pause command, inconclusive analysis, a blue-green preview waiting, or
   * a closed gate (`gate`: the type of the webhooks waited for).
   */
  pause: { reason: PauseReason; since: number; gate?: WebhookType } | null
  /** The user asked to pause (kept across steps until resumed). */
  userPaused: boolean
  /** Why the current canary was stopped; set on abort, cleared by retry or a new revision. */
  abort: { reason: string; at: number; cause: RollbackCause } | null
  /** Blue-green only: where the preview stands (null for other strategies and between releases). */
  blueGreenStage: BlueGreenStage | null
  /** `promote --full`: skip remaining steps and analyses. */
  promoteFull: boolean
  /** Desired traffic last sent to the router. */
  traffic: TrafficState
  /** Desired replicas per revision last sent to the workload (keys are revision numbers). */
  replicas: Record<string, number>
  /** Revisions waiting to be scaled to zero, with the epoch ms at which to do it. */
  scaleDownAt: Record<string, number>
  /** Explicit canary scale from a setCanaryScale step, or null for "same as replicas". */
  canaryScale: { replicas?: number; weight?: number; matchTrafficWeight?: boolean } | null
  analyses: { background: AnalysisRunStatus | null; step: AnalysisRunStatus | null }
  /** Threshold judge: failed checks of finished step analyses, carried across steps (Flagger). */
  failedChecks: number
  /** Counts step analysis runs, so each run gets a fresh id. */
  runCounter: number
  /** When a blue-green preview (or the promoted canary) became fully ready. */
  readySince: number | null
  /** The progress deadline was reported for the current wait (so it is reported once). */
  deadlineReported: boolean
  /**
   * Workload problems already reported, by revision (so each is reported once while it lasts).
   * Absent when there are none, and in statuses stored before problems were reported.
   */
  reportedProblems?: Record<string, WorkloadProblemReason>
  lastOutcome: RolloutOutcome | null
  /**
   * The release holds because its monitoring is unavailable (a provider erroring within its
   * errorGracePeriod): since the first error, held from `heldAt`, for these metrics. Null otherwise
   * (absent in statuses stored before holds were kept). Always written, so that every store that
   * keeps the status's own keys keeps it.
   */
  monitoringHold?: MonitoringHold | null
  /**
   * The advisor's review of the current canary's automatic promotion (plans with an advisorGate
   * only): asked at `askedAt`, its outcome once answered or timed out, `settled` once acted on.
   */
  review?: {
    revision: number
    askedAt: number
    outcome: ReviewOutcome | null
    summary: string
    settled: boolean
  }
  /**
   * Webhook calls waiting for their answer and where each webhook stands. Absent until a rollout
   * with webhooks needs it, and in statuses stored before webhooks were called.
   */
  webhooks?: WebhookState
}

export function initialStatus(): RolloutStatus {
  return {
    phase: 'Initializing',
    message: 'waiting for the first revision',
    revision: 0,
    stableRevision: null,
    canaryRevision: null,
    currentStepIndex: 0,
    stepStartedAt: 0,
    rolloutStartedAt: 0,
    pause: null,
    userPaused: false,
    abort: null,
    blueGreenStage: null,
    promoteFull: false,
    traffic: {
      stableRevision: null,
      canaryRevision: null,
      canaryWeight: 0,
      headerRoutes: [],
      mirror: null,
    },
    replicas: {},
    scaleDownAt: {},
    canaryScale: null,
    analyses: { background: null, step: null },
    failedChecks: 0,
    runCounter: 0,
    readySince: null,
    deadlineReported: false,
    lastOutcome: null,
    monitoringHold: null,
  }
}

/** Whether two traffic states route the same way (key order does not matter). */
export function sameTraffic(a: TrafficState, b: TrafficState): boolean {
  return JSON.stringify(a) === JSON.stringify(b) || canonical(a) === canonical(b)
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  )
}
