/**
 * A rollout store in memory. It takes ownership of what it is given (the runner never changes a
 * status or an event once saved) and hands out copies, so what comes back is what a persistent
 * store would return. Simulate and the tests use it.
 */
import { NotFoundError } from '../errors.js'
import type { EngineEvent } from '../engine/events.js'
import type { RolloutStatus } from '../engine/status.js'
import type { RolloutStore, StoredEvent } from './ports.js'

export class MemoryRolloutStore implements RolloutStore {
  readonly #statuses = new Map<string, RolloutStatus>()
  readonly #events = new Map<string, StoredEvent[]>()
  #nextId = 1

  /** Makes a rollout known (a persistent store learns of it when its spec is applied). */
  create(rollout: string, status: RolloutStatus): void {
    this.#statuses.set(rollout, structuredClone(status))
    this.#events.set(rollout, this.#events.get(rollout) ?? [])
  }

  delete(rollout: string): void {
    this.#statuses.delete(rollout)
    this.#events.delete(rollout)
  }

  loadStatus(rollout: string): Promise<RolloutStatus | undefined> {
    const status = this.#statuses.get(rollout)
    return Promise.resolve(status === undefined ? undefined : structuredClone(status))
  }

  saveStatus(rollout: string, status: RolloutStatus, events: EngineEvent[]): Promise<void> {
    const log = this.#events.get(rollout)
    if (log === undefined || !this.#statuses.has(rollout))
      return Promise.reject(new NotFoundError(`rollout ${rollout} is not in the store`))
    this.#statuses.set(rollout, status)
    for (const e of events) log.push({ ...e, id: this.#nextId++, rollout })
    return Promise.resolve()
  }

  events(
    rollout: string,
    options: { sinceId?: number; limit?: number } = {},
  ): Promise<StoredEvent[]> {
    const since = options.sinceId ?? 0
    const all = (this.#events.get(rollout) ?? []).filter((e) => e.id > since)
    const limit = options.limit ?? 1000
    return Promise.resolve(structuredClone(all.slice(Math.max(0, all.length - limit))))
  }
}
