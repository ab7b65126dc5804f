/** The local daemon's durable state (SQLite) and its directory lock. */
export {
  StateStore,
  type ReplicaRecord,
  type StoredEvent,
  type StoredGate,
  type StoredRollout,
  type WriteHealth,
} from './state-store.js'
export { storageFailure } from './storage-failure.js'
export { DirLock } from './dir-lock.js'
export { SqliteRolloutStore } from './sqlite-rollout-store.js'
