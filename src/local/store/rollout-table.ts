/** The `rollouts` table: each rollout's spec as applied, its current revision and engine status. */
import type { RolloutStatus } from '../../engine/status.js'
import type { AnalysisTemplate, Rollout } from '../../spec/schema.js'
import type { StateDb } from './state-db.js'

/** A rollout's spec as stored: the document, its analysis templates, where it was applied from. */
export interface StoredSpec {
  doc: Rollout
  templates: unknown[]
  /** Relative paths in the workload are resolved against this directory. */
  baseDir: string
}

/** What `put` stores; the timestamps are the store's. */
export interface RolloutRecord {
  name: string
  spec: StoredSpec
  templates: AnalysisTemplate[]
  revision: number
  status: RolloutStatus
}

export interface StoredRollout extends RolloutRecord {
  /** Epoch ms of the first `put`. */
  createdAt: number
  /** Epoch ms of the last `put` or status save. */
  updatedAt: number
}

interface RolloutRow {
  name: string
  spec: string
  templates: string
  revision: number
  status: string
  created_at: number
  updated_at: number
}

function rolloutOf(row: RolloutRow): StoredRollout {
  return {
    name: row.name,
    spec: JSON.parse(row.spec) as StoredSpec,
    templates: JSON.parse(row.templates) as AnalysisTemplate[],
    revision: row.revision,
    status: JSON.parse(row.status) as RolloutStatus,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export class RolloutTable {
  constructor(private readonly state: StateDb) {}

  /** Creates or replaces a rollout (keeping when it was created). */
  put(r: RolloutRecord): void {
    const now = Date.now()
    this.state.write(() =>
      this.state.db
        .prepare(
          `insert into rollouts (name, spec, templates, revision, status, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)
         on conflict (name) do update set spec = excluded.spec, templates = excluded.templates, revision = excluded.revision,
         status = excluded.status, updated_at = excluded.updated_at`,
        )
        .run(
          r.name,
          JSON.stringify(r.spec),
          JSON.stringify(r.templates),
          r.revision,
          JSON.stringify(r.status),
          now,
          now,
        ),
    )
  }

  get(name: string): StoredRollout | undefined {
    const row = this.state.db.prepare('select * from rollouts where name = ?').get(name) as
      RolloutRow | undefined
    return row === undefined ? undefined : rolloutOf(row)
  }

  /** Every rollout, by name. */
  list(): StoredRollout[] {
    return (
      this.state.db.prepare('select * from rollouts order by name').all() as RolloutRow[]
    ).map(rolloutOf)
  }

  /** Replaces the status of a rollout; false when there is no such rollout. Call within a write. */
  setStatus(name: string, status: RolloutStatus): boolean {
    return (
      this.state.db
        .prepare('update rollouts set status = ?, updated_at = ? where name = ?')
        .run(JSON.stringify(status), Date.now(), name).changes > 0
    )
  }

  /** Call within a write. */
  deleteOf(name: string): void {
    this.state.db.prepare('delete from rollouts where name = ?').run(name)
  }
}
