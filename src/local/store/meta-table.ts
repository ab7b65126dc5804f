/**
 * The `meta` table: small text values by key — the proxy record of each rollout, each rollout's
 * notification counts (see notification-counts.ts), the write health probe.
 */
import type { StateDb } from './state-db.js'

export class MetaTable {
  constructor(private readonly state: StateDb) {}

  set(key: string, value: string): void {
    this.state.write(() =>
      this.state.db
        .prepare('insert or replace into meta (key, value) values (?, ?)')
        .run(key, value),
    )
  }

  get(key: string): string | undefined {
    return (
      this.state.db.prepare('select value from meta where key = ?').get(key) as
        { value: string } | undefined
    )?.value
  }

  /** Metadata whose key starts with `prefix`. */
  withPrefix(prefix: string): { key: string; value: string }[] {
    return this.state.db
      .prepare('select key, value from meta where key >= ? and key < ? || char(1114111)')
      .all(prefix, prefix) as { key: string; value: string }[]
  }

  delete(key: string): void {
    this.state.db.prepare('delete from meta where key = ?').run(key)
  }
}
