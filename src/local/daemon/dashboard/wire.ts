/**
 * What the dashboard's stream and routes send the browser: a live sample of each rollout every second
 * and the summary row of the rollouts list. Types only, so the browser bundle can share them.
 */
import type { Phase } from '../../../engine/status.js'

/** How one side (stable or canary) answered over the sample's window. */
export interface SideSample {
  revision: number
  /** User requests answered in the window. */
  requests: number
  errors: number
  /** Percent of the window's requests that failed; null when there were none. */
  errorRatePercent: number | null
  /** Latency p99 over the window (from the proxy's latency sketch); null when there were none. */
  latencyP99Ms: number | null
}

/**
 * The sequential judge's evidence against the canary for one metric of a running analysis: the log
 * likelihood ratio grows with evidence; reaching `logBound` fails the canary.
 */
export interface EvidenceSample {
  runId: string
  runKind: string
  metric: string
  logLikelihoodRatio: number
  logBound: number
}

/** One replica set as the supervisor reports it. */
export interface ReplicaSample {
  revision: number
  role: 'stable' | 'canary' | 'old'
  desired: number
  ready: number
}

/** The latest analysis verdict of a rollout (or its outcome), for the list and the charts. */
export interface VerdictSummary {
  reason: string
  /** The judge's explanation, or the rollback's cause in words. */
  explanation: string
  at: number
  stepIndex: number
}

/** A row of the rollouts list, ordered by `attention` (0 needs it most). */
export interface RolloutSummary {
  name: string
  phase: Phase
  message: string
  stableRevision: number | null
  canaryRevision: number | null
  canaryWeight: number
  /** Current canary step, 0-based. */
  stepIndex: number
  stepCount: number
  strategy: string
  /** When the rollout was first applied (epoch ms). */
  createdAt: number
  lastVerdict: VerdictSummary | null
  /** 0 failing, 1 paused, 2 progressing, 3 healthy. */
  attention: number
  attentionLabel: 'failing' | 'paused' | 'progressing' | 'healthy'
}

/** One second of a rollout, as the dashboard charts it. */
export interface RolloutSample {
  rollout: string
  at: number
  summary: RolloutSummary
  /** Seconds of traffic the error rates and latencies cover (a sliding window ending at `at`). */
  windowSeconds: number
  stable: SideSample | null
  canary: SideSample | null
  evidence: EvidenceSample[]
  replicas: ReplicaSample[]
}

/** What `GET /api/v1/dashboard/session` says about the browser that asks. */
export interface SessionState {
  /** Whether this browser holds a session that may act (promote, abort…). */
  canAct: boolean
  expiresAt: number | null
}

/** The stream's message types (`event:` of each SSE message). */
export const STREAM_MESSAGES = ['rollout-event', 'sample', 'rollout-deleted'] as const
