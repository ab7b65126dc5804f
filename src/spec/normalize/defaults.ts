/** The defaults normalisation applies to a Rollout: every field left out of a spec gets its value here. */
import type { JudgeName } from '../../analysis/types.js'
import type { EventReason } from '../../engine/events.js'

export const DEFAULTS = {
  replicas: 1,
  intervalSeconds: 10,
  judge: 'sequential' as JudgeName,
  alpha: 0.05,
  threshold: 5,
  minCanaryRequests: 50,
  consecutiveErrorLimit: 4,
  /** Outlasts a restart of the monitoring (Prometheus replays its WAL in seconds to a minute). */
  errorGraceSeconds: 60,
  progressDeadlineSeconds: 600,
  scaleDownDelaySeconds: 30,
  abortScaleDownDelaySeconds: 30,
  webhookTimeoutSeconds: 10,
  maxWeight: 100,
  advisorTimeoutSeconds: 60,
  notificationTimeoutSeconds: 10,
  notificationRetries: 3,
} as const

/**
 * The events a notification sends when its spec lists none: those a person acts on or wants to
 * know of. Left out: the steps of a release that goes well (TrafficShifted, StepCompleted,
 * AnalysisStarted, AnalysisSuccessful) and verdicts the rollback or pause that follows reports.
 */
export const NOTIFIED_BY_DEFAULT: readonly EventReason[] = [
  'NewRevision',
  'Reverted',
  'Initialized',
  'ProgressDeadlineExceeded',
  'WorkloadProblem',
  'Paused',
  'PreviewReady',
  'AnalysisInconclusive',
  'RolledBack',
  'Promoted',
  'Command',
  'MonitoringUnavailable',
  'MonitoringRestored',
]
