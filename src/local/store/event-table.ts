/** The `events` table: each rollout's append-only log of the engine's typed events. */
import type { StoredEvent } from '../../controller/ports.js'
import type { EngineEvent } from '../../engine/events.js'
import type { StateDb } from './state-db.js'

interface EventRow {
  id: number
  name: string
  event: string
}

export class EventTable {
  constructor(private readonly state: StateDb) {}

  /** Appends `events` to the log of `name`, stored whole. Call within a write. */
  append(name: string, events: EngineEvent[]): void {
    const insert = this.state.db.prepare(
      'insert into events (name, at, reason, event) values (?, ?, ?, ?)',
    )
    for (const e of events) insert.run(name, e.at, e.reason, JSON.stringify(e))
  }

  /** Events in id order; `sinceId` skips those seen, `limit` (default 1000) keeps the newest. */
  list(name: string, options: { sinceId?: number; limit?: number } = {}): StoredEvent[] {
    const rows = this.state.db
      .prepare(
        'select * from (select * from events where name = ? and id > ? order by id desc limit ?) order by id',
      )
      .all(name, options.sinceId ?? 0, options.limit ?? 1000) as EventRow[]
    return rows.map((r) => ({
      ...(JSON.parse(r.event) as EngineEvent),
      id: r.id,
      rollout: r.name,
    }))
  }

  /** Call within a write. */
  deleteOf(name: string): void {
    this.state.db.prepare('delete from events where name = ?').run(name)
  }
}
