/**
 * The engine's events: one discriminated union with stable reasons and structured data. The same shape
 * is persisted, served by the API and read by the CLI, the report and the demo; `message` is for
 * people only and no code reads it.
 */
import type {
  AnalysisPhase,
  AnalysisPlan,
  JudgeName,
  MetricEvidence,
  MetricTally,
} from '../analysis/types.js'
import type { RolloutCommand } from './commands.js'
import type { RequestMatch, Severity, StrategyPlan, WebhookType } from './plan.js'
import type { PauseReason } from './status.js'
import type { ReviewOutcome, WorkloadProblem } from './types.js'

/** Every reason an event can carry; the union below has exactly one member per reason. */
export const EVENT_REASONS = [
  'NewRevision',
  'Reverted',
  'Initialized',
  'ProgressDeadlineExceeded',
  'WorkloadProblem',
  'TrafficShifted',
  'StepCompleted',
  'Paused',
  'PreviewReady',
  'AnalysisStarted',
  'AnalysisSuccessful',
  'AnalysisFailed',
  'AnalysisError',
  'AnalysisInconclusive',
  'RolledBack',
  'Promoted',
  'Command',
  'PromotionReviewed',
  'WebhookAnswered',
  'MonitoringUnavailable',
  'MonitoringRestored',
] as const
export type EventReason = (typeof EVENT_REASONS)[number]

/** Why a rollout was rolled back, as data. */
export const ROLLBACK_CAUSES = [
  'UserAbort',
  'AnalysisFailed',
  'BackgroundAnalysisFailed',
  'CrashLoop',
  'ProgressDeadline',
  /** Failed checks reached the threshold with a failed pre-rollout or rollout webhook call. */
  'WebhookFailed',
  /** A rollback webhook answered 2xx. */
  'WebhookRollback',
] as const
export type RollbackCause = (typeof ROLLBACK_CAUSES)[number]

/** Which analysis run an event is about. */
export interface AnalysisRunRef {
  id: string
  kind: AnalysisPlan['kind']
  /** The canary step the run belongs to (step runs only). */
  stepIndex: number | null
  judge: JudgeName
  metrics: string[]
}

/** What a completed step did, with the data a report needs. */
export type CompletedStep =
  | { kind: 'setWeight'; weight: number }
  | { kind: 'pause'; durationSeconds: number | null }
  | { kind: 'analysis'; metrics: string[] }
  | { kind: 'setHeaderRoute'; name: string; match: RequestMatch[] }
  | { kind: 'setMirrorRoute'; name: string; percentage: number; match: RequestMatch[] }
  | { kind: 'setCanaryScale' }
  /** Blue-green: the preview was ready and analysed, so the switch is approved. */
  | { kind: 'previewApproved' }
  /** `kanari promote` skipped the step. */
  | { kind: 'skippedByUser' }

/**
 * What Kanari did with a webhook's answer: a gate opened or stayed closed, a check passed or counted
 * as failed, a rollback was asked for, or (post-rollout) the answer was only recorded.
 */
export const WEBHOOK_EFFECTS = [
  'GateOpened',
  'GateClosed',
  'CheckPassed',
  'CheckFailed',
  'RollbackRequested',
  'Recorded',
] as const
export type WebhookEffect = (typeof WEBHOOK_EFFECTS)[number]

export type AnalysisVerdictReason =
  'AnalysisSuccessful' | 'AnalysisFailed' | 'AnalysisError' | 'AnalysisInconclusive'

/** The part of an event that depends on its reason. */
export type EventData =
  | {
      reason: 'NewRevision'
      /** The first revision of the rollout, deployed without steps. */
      first: boolean
      strategy: StrategyPlan['kind']
      stableRevision: number | null
    }
  | { reason: 'Reverted'; stableRevision: number; droppedCanary: number | null }
  | { reason: 'Initialized'; readyReplicas: number }
  | {
      reason: 'ProgressDeadlineExceeded'
      deadlineSeconds: number
      rollingBack: boolean
      /** Why the replicas waited for were not ready, when the driver could tell. */
      problem: WorkloadProblem | null
    }
  | {
      /** The replicas of the event's revision are not coming up; reported once while it lasts. */
      reason: 'WorkloadProblem'
      role: 'stable' | 'canary' | 'old'
      problem: WorkloadProblem
    }
  | { reason: 'TrafficShifted'; fromWeight: number; toWeight: number }
  | { reason: 'StepCompleted'; step: CompletedStep }
  | {
      reason: 'Paused'
      pauseReason: PauseReason
      /** Frozen: the failed analysis's explanation. */
      explanation?: string
      /** A closed gate: the type and names of the webhooks waited for. */
      gate?: { type: WebhookType; webhooks: string[] }
    }
  | {
      reason: 'PreviewReady'
      /** Header (value `true`) that reaches the preview, or null when the router has no header routes. */
      previewHeader: string | null
      mirrorPercentage: number | null
    }
  | { reason: 'AnalysisStarted'; run: AnalysisRunRef }
  | {
      reason: AnalysisVerdictReason
      run: AnalysisRunRef
      phase: Exclude<AnalysisPhase, 'Running'>
      /** The judge's explanation, e.g. "canary error rate 14.8% (37/250) vs stable 0.2% (9/4750)". */
      explanation: string
      /**
       * The sequential judge's evidence per metric as the run ended (absent for the other judges,
       * and in events stored before it was kept).
       */
      evidence?: MetricEvidence[]
      /**
       * Each metric's measurements by result as the run ended (absent in events stored before it
       * was kept): what a run that is replaced in the same tick no longer shows in the status.
       */
      tally?: MetricTally[]
    }
  | {
      reason: 'RolledBack'
      stableRevision: number | null
      cause: RollbackCause
      /** The rollback's cause in words (an analysis explanation, the user's reason…). */
      explanation: string
    }
  | { reason: 'Promoted'; previousStable: number | null; byUser: boolean }
  | {
      /** The advisor's review of an automatic promotion (opt-in); `paused`: it became a pause. */
      reason: 'PromotionReviewed'
      outcome: ReviewOutcome
      summary: string
      paused: boolean
    }
  | {
      /** A webhook answered (reported when its answer changes something; see `effect`). */
      reason: 'WebhookAnswered'
      webhook: { name: string; type: WebhookType }
      passed: boolean
      httpStatus: number | null
      attempts: number
      /** The answer in words, e.g. "HTTP 403: gate closed". */
      explanation: string
      effect: WebhookEffect
      /** Failed checks of the release so far (Flagger's counter), after this answer. */
      failedChecks: number
    }
  | {
      /** A metric provider fails: the release holds where it is, for up to the grace. */
      reason: 'MonitoringUnavailable'
      metrics: string[]
      /** Epoch ms of the first errored measurement. */
      since: number
      graceSeconds: number
      /** The provider's error, e.g. "error-rate: prometheus: connect ECONNREFUSED 127.0.0.1:9090". */
      error: string
    }
  | {
      /** Measurements came back within the grace: the release goes on from where it held. */
      reason: 'MonitoringRestored'
      metrics: string[]
      unavailableSeconds: number
    }
  | {
      reason: 'Command'
      command: RolloutCommand['type']
      full: boolean
      /** Who asked: `user` from the CLI or API, or the driver that acted for one (`simulate`). */
      actor: string
    }

export interface EventCommon {
  /** Epoch ms. */
  at: number
  severity: Severity
  /** The revision the event is about: the canary, or the revision being deployed. */
  revision: number
  /** The canary's share of traffic the event refers to (for a rollback: the share when decided). */
  canaryWeight: number
  stepIndex: number
  /** For people only: no code parses it. */
  message: string
}

export type EngineEvent = EventCommon & EventData

/** An event with its reason narrowed, for code that handles one kind. */
export type EventOf<R extends EventReason> = EngineEvent & { reason: R }

// The tuple and the union must list the same reasons: this fails to compile when they drift apart.
type SameReasons = [EventReason] extends [EventData['reason']]
  ? [EventData['reason']] extends [EventReason]
    ? true
    : false
  : false
export const EVENT_REASONS_MATCH_UNION: SameReasons = true

/** True for the event that starts a release of a new revision (not the first deploy). */
export function startsRelease(e: EngineEvent): boolean {
  return e.reason === 'NewRevision' && !e.first
}
