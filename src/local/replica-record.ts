/**
 * What the supervisor persists about each running replica, and the port it persists through (the
 * store implements it), so a later daemon can find the replicas an earlier one left running.
 */

export interface ReplicaRecord {
  id: string
  key: string
  index: number
  pid: number
  port: number
  startedAt: number
  logPath: string
}

export interface ReplicaPersistence {
  put(rec: ReplicaRecord): void
  delete(id: string): void
  list(): ReplicaRecord[]
}
