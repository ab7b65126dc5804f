/** The `replicas` table: the supervisor's record of each replica it runs, for a later daemon to adopt. */
import type { ReplicaPersistence, ReplicaRecord } from '../replica-record.js'
import type { StateDb } from './state-db.js'

export class ReplicaTable implements ReplicaPersistence {
  constructor(private readonly state: StateDb) {}

  put(rec: ReplicaRecord): void {
    this.state.write(() =>
      this.state.db
        .prepare('insert or replace into replicas (id, record) values (?, ?)')
        .run(rec.id, JSON.stringify(rec)),
    )
  }

  delete(id: string): void {
    this.state.write(() => this.state.db.prepare('delete from replicas where id = ?').run(id))
  }

  /** Every record, by id. */
  list(): ReplicaRecord[] {
    return (
      this.state.db.prepare('select record from replicas order by id').all() as { record: string }[]
    ).map((r) => JSON.parse(r.record) as ReplicaRecord)
  }
}
