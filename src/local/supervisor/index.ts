/** The local process supervisor: replicas as child processes, probed, restarted, logged, re-adoptable. */
export { Supervisor } from './supervisor.js'
export type {
  ReplicaProblem,
  ReplicaSetSpec,
  ReplicaSetStatus,
  ReplicaStatus,
  ReadinessProbe,
} from './types.js'
export type { LogWindow } from './replica-logs.js'
export type { ReplicaPersistence, ReplicaRecord } from '../replica-record.js'
