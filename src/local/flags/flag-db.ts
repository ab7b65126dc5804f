/**
 * The flag store's durable part, in its own SQLite file (`<state-dir>/flags.db`, WAL, synchronous
 * FULL): the flag files the daemon watches, the flags set through the API (which win over files),
 * and the audit log of every change — who, when, before and after.
 */
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { FlagDefinition } from '../../flags/index.js'

const MIGRATIONS = [
  `create table flag_sources (path text primary key, added_at integer not null, added_by text not null);
   create table managed_flags (key text primary key, flag text not null, updated_at integer not null, actor text not null);
   create table flag_audit (id integer primary key autoincrement, at integer not null, actor text not null,
     action text not null, key text not null, before text, after text, source text);
   create index flag_audit_by_key on flag_audit (key, id);`,
]

/** What a change did to one flag. */
export const AUDIT_ACTIONS = ['set', 'enable', 'disable', 'delete', 'file', 'rollout'] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

export interface AuditEntry {
  id: number
  at: number
  actor: string
  action: AuditAction
  key: string
  /** The flag as served before and after (null: it did not exist). */
  before: FlagDefinition | null
  after: FlagDefinition | null
  /** Where the served definition came from after the change (`api`, `file:PATH`, …). */
  source: string | null
}

export interface ManagedFlag {
  key: string
  flag: FlagDefinition
  updatedAt: number
  actor: string
}

export class FlagDb {
  readonly #db: Database.Database

  constructor(stateDir: string) {
    this.#db = new Database(join(stateDir, 'flags.db'))
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = FULL')
    this.#db.pragma('busy_timeout = 5000')
    this.#db.exec(
      'create table if not exists migrations (version integer primary key, applied_at integer not null)',
    )
    const done =
      (this.#db.prepare('select max(version) v from migrations').get() as { v: number | null }).v ??
      0
    MIGRATIONS.forEach((sql, i) => {
      if (i + 1 <= done) return
      this.#db.transaction(() => {
        this.#db.exec(sql)
        this.#db
          .prepare('insert into migrations (version, applied_at) values (?, ?)')
          .run(i + 1, Date.now())
      })()
    })
  }

  sources(): string[] {
    return (
      this.#db.prepare('select path from flag_sources order by added_at, path').all() as {
        path: string
      }[]
    ).map((r) => r.path)
  }

  addSource(path: string, actor: string, at: number): void {
    this.#db
      .prepare('insert or ignore into flag_sources (path, added_at, added_by) values (?, ?, ?)')
      .run(path, at, actor)
  }

  removeSource(path: string): boolean {
    return this.#db.prepare('delete from flag_sources where path = ?').run(path).changes > 0
  }

  managed(): ManagedFlag[] {
    return (
      this.#db
        .prepare('select key, flag, updated_at, actor from managed_flags order by key')
        .all() as {
        key: string
        flag: string
        updated_at: number
        actor: string
      }[]
    ).map((r) => ({
      key: r.key,
      flag: JSON.parse(r.flag) as FlagDefinition,
      updatedAt: r.updated_at,
      actor: r.actor,
    }))
  }

  /**
   * Saves (or, with `flag` null, removes) a managed flag and its audit entries in one transaction:
   * a change is never kept without its record, nor recorded without being kept.
   */
  change(
    key: string,
    flag: FlagDefinition | null,
    at: number,
    actor: string,
    audit: Omit<AuditEntry, 'id'>[],
  ): void {
    this.#db.transaction(() => {
      if (flag === null) this.#db.prepare('delete from managed_flags where key = ?').run(key)
      else
        this.#db
          .prepare(
            'insert into managed_flags (key, flag, updated_at, actor) values (?, ?, ?, ?) on conflict(key) do update set flag = excluded.flag, updated_at = excluded.updated_at, actor = excluded.actor',
          )
          .run(key, JSON.stringify(flag), at, actor)
      this.#insertAudit(audit)
    })()
  }

  /** Records changes that came from elsewhere (a flag file edited). */
  record(audit: Omit<AuditEntry, 'id'>[]): void {
    this.#db.transaction(() => this.#insertAudit(audit))()
  }

  #insertAudit(entries: Omit<AuditEntry, 'id'>[]): void {
    const insert = this.#db.prepare(
      'insert into flag_audit (at, actor, action, key, before, after, source) values (?, ?, ?, ?, ?, ?, ?)',
    )
    for (const e of entries)
      insert.run(
        e.at,
        e.actor,
        e.action,
        e.key,
        e.before === null ? null : JSON.stringify(e.before),
        e.after === null ? null : JSON.stringify(e.after),
        e.source,
      )
  }

  /** The newest `limit` entries (of one flag, if given), oldest first. */
  audit(options: { key?: string; limit?: number } = {}): AuditEntry[] {
    const limit = options.limit ?? 100
    const rows = (
      options.key === undefined
        ? this.#db.prepare('select * from flag_audit order by id desc limit ?').all(limit)
        : this.#db
            .prepare('select * from flag_audit where key = ? order by id desc limit ?')
            .all(options.key, limit)
    ) as {
      id: number
      at: number
      actor: string
      action: AuditAction
      key: string
      before: string | null
      after: string | null
      source: string | null
    }[]
    return rows.reverse().map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      key: r.key,
      before: r.before === null ? null : (JSON.parse(r.before) as FlagDefinition),
      after: r.after === null ? null : (JSON.parse(r.after) as FlagDefinition),
      source: r.source,
    }))
  }

  close(): void {
    this.#db.close()
  }
}
