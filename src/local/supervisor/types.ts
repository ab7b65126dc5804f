/** The supervisor's public vocabulary: what a replica set should be, and what it is. */
import type { WorkloadProblemReason } from '../../engine/types.js'

/** Why a replica is not ready, as far as the supervisor can tell: the reason and the facts. */
export interface ReplicaProblem {
  reason: WorkloadProblemReason
  /** e.g. "replica 0 exited with code 3 0.1s after it started; last output: …" */
  message: string
}

export interface ReadinessProbe {
  httpGet: string
  periodSeconds?: number
  timeoutSeconds?: number
  initialDelaySeconds?: number
}

export interface ReplicaSetSpec {
  key: string
  command: string[]
  cwd: string
  env: Record<string, string>
  replicas: number
  readiness?: ReadinessProbe
}

export type ReplicaState = 'starting' | 'ready' | 'unready' | 'crashed' | 'backoff' | 'stopping'

export interface ReplicaStatus {
  id: string
  key: string
  index: number
  pid: number | null
  port: number
  state: ReplicaState
  restarts: number
  startedAt: number
  adopted: boolean
  lastExit?: { code: number | null; signal: string | null; at: number }
  /** Bytes of its output that could not be written to its log (a full or read-only disk). */
  droppedLogBytes: number
  problem?: ReplicaProblem
}

export interface ReplicaSetStatus {
  key: string
  desired: number
  ready: number
  replicas: ReplicaStatus[]
  endpoints: { host: string; port: number }[]
  crashLooping: boolean
  restarts: number
  droppedLogBytes: number
  /** Why replica output is being dropped now (`ENOSPC`, `EROFS`…), while it is. */
  logDropReason?: string
  /** The most telling problem of its replicas (a command not found before a crash loop…). */
  problem?: ReplicaProblem
}
