/** The local process supervisor: replicas as child processes, probed, restarted, logged, re-adoptable. */
export {
  Supervisor,
  type ReplicaSetSpec,
  type ReplicaSetStatus,
  type ReplicaStatus,
  type ReadinessProbe,
  type ReplicaPersistence,
} from './supervisor.js'
