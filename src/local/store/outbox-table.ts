/**
 * The `outbox` table: notifications waiting to be sent, kept until they are sent or given up on, so
 * a daemon killed before sending them sends them when it starts again. It is the notifier's Outbox.
 */
import type { Notice } from '../../notify/notice.js'
import type { Outbox } from '../../notify/outbox.js'
import type { StateDb } from './state-db.js'

export class OutboxTable implements Outbox {
  constructor(private readonly state: StateDb) {}

  /** Keeps a notification until it is sent or given up on; returns its id. */
  add(rollout: string, notice: Notice): number {
    const id = this.state.write(
      () =>
        this.state.db
          .prepare('insert into outbox (name, notice, created_at) values (?, ?, ?)')
          .run(rollout, JSON.stringify(notice), Date.now()).lastInsertRowid,
    )
    return Number(id)
  }

  /** Forgets a notification that was sent, given up on or dropped. */
  remove(id: number): void {
    this.state.write(() => this.state.db.prepare('delete from outbox where id = ?').run(id))
  }

  /** A rollout's notifications still waiting, oldest first. */
  pending(rollout: string): { id: number; notice: Notice }[] {
    return (
      this.state.db
        .prepare('select id, notice from outbox where name = ? order by id')
        .all(rollout) as { id: number; notice: string }[]
    ).map((r) => ({ id: r.id, notice: JSON.parse(r.notice) as Notice }))
  }

  /** Call within a write. */
  deleteOf(rollout: string): void {
    this.state.db.prepare('delete from outbox where name = ?').run(rollout)
  }
}
