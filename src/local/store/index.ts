/** The local daemon's durable state (SQLite) and its directory lock. */
export {
  StateStore,
  type NewEvent,
  type ReplicaRecord,
  type StoredEvent,
  type StoredRollout,
} from './state-store.js'
export { DirLock } from './dir-lock.js'
