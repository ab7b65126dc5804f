/** The supervisor's public vocabulary: what a replica set should be, and what it is. */

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
}

export interface ReplicaSetStatus {
  key: string
  desired: number
  ready: number
  replicas: ReplicaStatus[]
  endpoints: { host: string; port: number }[]
  crashLooping: boolean
  restarts: number
}
