/** The `gates` table: manual gates (`kanari gate open NAME`); a gate not in it is closed. */
import type { StateDb } from './state-db.js'

/** A manual gate as stored: open or closed, and since when. */
export interface StoredGate {
  name: string
  open: boolean
  /** Epoch ms of the last open or close. */
  updatedAt: number
}

interface GateRow {
  name: string
  open: number
  updated_at: number
}

function gateOf(row: GateRow): StoredGate {
  return { name: row.name, open: row.open === 1, updatedAt: row.updated_at }
}

export class GateTable {
  constructor(private readonly state: StateDb) {}

  /** Opens or closes a gate (creating it); returns it as stored. */
  set(name: string, open: boolean): StoredGate {
    const gate = { name, open, updatedAt: Date.now() }
    this.state.write(() =>
      this.state.db
        .prepare(
          `insert into gates (name, open, updated_at) values (?, ?, ?)
           on conflict (name) do update set open = excluded.open, updated_at = excluded.updated_at`,
        )
        .run(name, open ? 1 : 0, gate.updatedAt),
    )
    return gate
  }

  /** A gate, or undefined for one never opened or closed (which counts as closed). */
  get(name: string): StoredGate | undefined {
    const row = this.state.db.prepare('select * from gates where name = ?').get(name) as
      GateRow | undefined
    return row === undefined ? undefined : gateOf(row)
  }

  /** Every gate, by name. */
  list(): StoredGate[] {
    return (this.state.db.prepare('select * from gates order by name').all() as GateRow[]).map(
      gateOf,
    )
  }
}
