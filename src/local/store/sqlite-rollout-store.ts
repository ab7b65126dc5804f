/**
 * The runner's `RolloutStore` port over the daemon's SQLite state: a status and its events are
 * written in one transaction, so a kill -9 leaves either both or neither.
 */
import type { RolloutStore, StoredEvent } from '../../controller/ports.js'
import type { EngineEvent } from '../../engine/events.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { StateStore } from './state-store.js'

export class SqliteRolloutStore implements RolloutStore {
  constructor(private readonly state: StateStore) {}

  loadStatus(rollout: string): Promise<RolloutStatus | undefined> {
    return Promise.resolve(this.state.rollouts.get(rollout)?.status)
  }

  saveStatus(rollout: string, status: RolloutStatus, events: EngineEvent[]): Promise<void> {
    try {
      this.state.saveStatus(rollout, status, events)
      return Promise.resolve()
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  events(rollout: string, options?: { sinceId?: number; limit?: number }): Promise<StoredEvent[]> {
    return Promise.resolve(this.state.events.list(rollout, options))
  }
}
