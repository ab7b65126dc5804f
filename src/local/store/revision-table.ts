/** The `revisions` table: the workload each revision of a rollout runs, and its hash. */
import type { RolloutSpec } from '../../spec/schema.js'
import type { StateDb } from './state-db.js'

/** A revision's workload, as in its Rollout's `spec.workload`. */
export type StoredWorkload = RolloutSpec['workload']

export interface StoredRevision {
  revision: number
  template: StoredWorkload
  /** The template hash that tells whether a spec change makes a new revision. */
  hash: string
  /** Epoch ms. */
  createdAt: number
}

interface RevisionRow {
  revision: number
  template: string
  hash: string
  created_at: number
}

export class RevisionTable {
  constructor(private readonly state: StateDb) {}

  /** Stores (or replaces) one revision of `name`. */
  put(name: string, revision: number, template: StoredWorkload, hash: string): void {
    this.state.write(() =>
      this.state.db
        .prepare(
          'insert or replace into revisions (name, revision, template, hash, created_at) values (?, ?, ?, ?, ?)',
        )
        .run(name, revision, JSON.stringify(template), hash, Date.now()),
    )
  }

  /** The revisions of `name`, oldest first. */
  list(name: string): StoredRevision[] {
    return (
      this.state.db
        .prepare('select * from revisions where name = ? order by revision')
        .all(name) as RevisionRow[]
    ).map((r) => ({
      revision: r.revision,
      template: JSON.parse(r.template) as StoredWorkload,
      hash: r.hash,
      createdAt: r.created_at,
    }))
  }

  /** Call within a write. */
  deleteOf(name: string): void {
    this.state.db.prepare('delete from revisions where name = ?').run(name)
  }
}
