/**
 * The local daemon's state: rollouts (spec and engine status), the workload of every revision, an
 * append-only event log, the replicas the supervisor runs, and small metadata — in SQLite with WAL
 * and synchronous=FULL, so a committed write survives a kill -9 or a power cut. A write the disk
 * refuses (full, read-only, failing) throws a DependencyError that says so and is remembered for
 * `writeHealth`; the next write tries again.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { StoredEvent } from '../../controller/ports.js'
import type { EngineEvent } from '../../engine/events.js'
import { NotFoundError } from '../../errors.js'
import type { ReplicaRecord } from '../replica-record.js'
import { DirLock } from './dir-lock.js'
import { RESERVE_BYTES, SpaceReserve } from './space-reserve.js'
import { stateNotWritable, storageFailure } from './storage-failure.js'

/** Whether the store can save, and if not, why, in words (the API's daemon condition). */
export interface WriteHealth {
  stateWritable: boolean
  problem: string | null
}

/** After a failed write, `writeHealth` tries again at most this often. */
const RECHECK_MS = 1000

export interface StoredRollout {
  name: string
  spec: unknown
  templates: unknown[]
  revision: number
  status: unknown
  createdAt: number
  updatedAt: number
}

export type { StoredEvent }

export type { ReplicaRecord }

/** A manual gate as stored: open or closed, and since when. */
export interface StoredGate {
  name: string
  open: boolean
  /** Epoch ms of the last open or close. */
  updatedAt: number
}

const MIGRATIONS = [
  `create table rollouts (name text primary key, spec text not null, templates text not null, revision integer not null,
     status text not null, created_at integer not null, updated_at integer not null);
   create table revisions (name text not null, revision integer not null, template text not null, hash text not null,
     created_at integer not null, primary key (name, revision));
   create table events (id integer primary key autoincrement, name text not null, at integer not null, type text not null,
     reason text not null, message text not null, data text);
   create index events_by_name on events (name, id);
   create table replicas (id text primary key, record text not null);
   create table meta (key text primary key, value text not null);`,
  // Events are stored whole, as the engine's typed events; the free-form rows of the first schema
  // are kept in events_v1.
  `alter table events rename to events_v1;
   create table events (id integer primary key autoincrement, name text not null, at integer not null,
     reason text not null, event text not null);
   create index events_by_rollout on events (name, id);`,
  // Manual gates (`kanari gate open NAME`): a gate not in the table is closed.
  `create table gates (name text primary key, open integer not null, updated_at integer not null);`,
  // Notifications waiting to be sent, so a daemon killed before sending them sends them when it
  // starts again.
  `create table outbox (id integer primary key autoincrement, name text not null, notice text not null,
     created_at integer not null);
   create index outbox_by_rollout on outbox (name, id);`,
  // Evidence reports of releases (one per rollout and revision, the latest) and what an advisor said.
  `create table diagnoses (name text not null, revision integer not null, created_at integer not null,
     report text not null, advisor text, primary key (name, revision));`,
]

/** Meta key prefix of each rollout's notification counts. */
const NOTIFICATION_COUNTS = 'notify-counts:'

export class StateStore {
  readonly #db: Database.Database
  readonly #lock: DirLock | undefined
  readonly #reserve: SpaceReserve
  /** Why the last write failed, until one succeeds. */
  #writeProblem: { text: string; at: number } | undefined

  private constructor(
    readonly dir: string,
    lock: boolean,
  ) {
    mkdirSync(dir, { recursive: true })
    this.#reserve = new SpaceReserve(dir)
    this.#reserve.ensure()
    let opened
    try {
      opened = StateStore.#open(dir, lock)
    } catch (err) {
      // A full disk: give back the reserve, so what starting needs fits, and save nothing until
      // there is room to keep the reserve again.
      if (storageFailure(err) === undefined || !this.#reserve.release()) throw err
      opened = StateStore.#open(dir, lock)
      this.#writeProblem = { text: this.#lowSpaceText(), at: Date.now() }
    }
    this.#lock = opened.lock
    this.#db = opened.db
  }

  static #open(dir: string, lock: boolean): { lock: DirLock | undefined; db: Database.Database } {
    const dirLock = lock ? DirLock.acquire(dir) : undefined
    let db: Database.Database | undefined
    try {
      db = new Database(join(dir, 'kanari.db'))
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      db.pragma('busy_timeout = 5000')
      StateStore.#migrate(db)
      return { lock: dirLock, db }
    } catch (err) {
      db?.close()
      dirLock?.release()
      throw err
    }
  }

  /** Opens (creating) `<dir>/kanari.db`, taking the directory lock first unless `lock: false`. */
  static open(dir: string, options: { lock?: boolean } = {}): StateStore {
    return new StateStore(dir, options.lock ?? true)
  }

  static #migrate(db: Database.Database): void {
    db.exec(
      'create table if not exists migrations (version integer primary key, applied_at integer not null)',
    )
    const done =
      (db.prepare('select max(version) v from migrations').get() as { v: number | null }).v ?? 0
    MIGRATIONS.forEach((sql, i) => {
      if (i + 1 <= done) return
      db.transaction(() => {
        db.exec(sql)
        db.prepare('insert into migrations (version, applied_at) values (?, ?)').run(
          i + 1,
          Date.now(),
        )
      })()
    })
  }

  /**
   * Runs one write. Refused while the disk has no room for the reserve; a write the disk fails is
   * remembered and thrown as a DependencyError that says what happened to which file.
   */
  #write<T>(fn: () => T): T {
    if (!this.#reserve.ensure()) {
      const text = this.#lowSpaceText()
      this.#writeProblem = { text, at: Date.now() }
      throw stateNotWritable(text)
    }
    try {
      const result = fn()
      this.#writeProblem = undefined
      return result
    } catch (err) {
      const failure = storageFailure(err)
      if (failure === undefined) throw err
      const text = `${failure.what} (${failure.code}) writing ${join(this.dir, 'kanari.db')}`
      this.#writeProblem = { text, at: Date.now() }
      throw stateNotWritable(text, err)
    }
  }

  #lowSpaceText(): string {
    const free = this.#reserve.freeBytes()
    return `disk full (ENOSPC): ${free === undefined ? 'almost no space' : `${Math.floor(free / 1024)} KiB`} free for ${this.dir}; Kanari saves state once ${(2 * RESERVE_BYTES) / 1024} KiB are free, to keep ${RESERVE_BYTES / 1024} KiB in reserve for starting`
  }

  /**
   * Gives back the space kept in reserve, for a write that starting needs (the API address) on a
   * full disk; state is not saved until there is room to keep the reserve again. False when there
   * was none to give.
   */
  giveBackReserve(): boolean {
    if (!this.#reserve.release()) return false
    this.#writeProblem = { text: this.#lowSpaceText(), at: Date.now() }
    return true
  }

  /**
   * Whether state can be saved. After a failed write it tries again (a small metadata write, at
   * most once a second), so space freed meanwhile shows without waiting for a rollout to change.
   */
  writeHealth(): WriteHealth {
    const problem = this.#writeProblem
    if (problem !== undefined && Date.now() - problem.at >= RECHECK_MS) {
      try {
        this.setMeta('lastWriteCheck', String(Date.now()))
      } catch {
        // still failing: #write recorded why
      }
    }
    const now = this.#writeProblem
    return now === undefined
      ? { stateWritable: true, problem: null }
      : { stateWritable: false, problem: `${now.text} — free space; Kanari retries every tick` }
  }

  putRollout(r: {
    name: string
    spec: unknown
    templates: unknown[]
    revision: number
    status: unknown
  }): void {
    const now = Date.now()
    this.#write(() =>
      this.#db
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

  #row(row: Record<string, unknown> | undefined): StoredRollout | undefined {
    if (row === undefined) return undefined
    return {
      name: row.name as string,
      spec: JSON.parse(row.spec as string) as unknown,
      templates: JSON.parse(row.templates as string) as unknown[],
      revision: row.revision as number,
      status: JSON.parse(row.status as string) as unknown,
      createdAt: row.created_at as number,
      updatedAt: row.updated_at as number,
    }
  }

  getRollout(name: string): StoredRollout | undefined {
    return this.#row(
      this.#db.prepare('select * from rollouts where name = ?').get(name) as
        Record<string, unknown> | undefined,
    )
  }

  listRollouts(): StoredRollout[] {
    return (
      this.#db.prepare('select * from rollouts order by name').all() as Record<string, unknown>[]
    ).flatMap((r) => this.#row(r) ?? [])
  }

  deleteRollout(name: string): void {
    this.#write(() =>
      this.#db.transaction(() => {
        this.#db.prepare('delete from rollouts where name = ?').run(name)
        this.#db.prepare('delete from revisions where name = ?').run(name)
        this.#db.prepare('delete from events where name = ?').run(name)
        this.#db.prepare('delete from outbox where name = ?').run(name)
        this.#db.prepare('delete from diagnoses where name = ?').run(name)
        this.#db.prepare('delete from meta where key = ?').run(NOTIFICATION_COUNTS + name)
      })(),
    )
  }

  /** Persists a new status together with the events it produced, in one transaction. */
  saveStatus(name: string, status: unknown, events: EngineEvent[] = []): void {
    this.#write(() =>
      this.#db.transaction(() => {
        const res = this.#db
          .prepare('update rollouts set status = ?, updated_at = ? where name = ?')
          .run(JSON.stringify(status), Date.now(), name)
        if (res.changes === 0) throw new NotFoundError(`saveStatus: no rollout named ${name}`)
        this.#insertEvents(name, events)
      })(),
    )
  }

  putRevision(name: string, revision: number, template: unknown, hash: string): void {
    this.#write(() =>
      this.#db
        .prepare(
          'insert or replace into revisions (name, revision, template, hash, created_at) values (?, ?, ?, ?, ?)',
        )
        .run(name, revision, JSON.stringify(template), hash, Date.now()),
    )
  }

  getRevisions(
    name: string,
  ): { revision: number; template: unknown; hash: string; createdAt: number }[] {
    return (
      this.#db
        .prepare('select * from revisions where name = ? order by revision')
        .all(name) as Record<string, unknown>[]
    ).map((r) => ({
      revision: r.revision as number,
      template: JSON.parse(r.template as string) as unknown,
      hash: r.hash as string,
      createdAt: r.created_at as number,
    }))
  }

  #insertEvents(name: string, events: EngineEvent[]): void {
    const insert = this.#db.prepare(
      'insert into events (name, at, reason, event) values (?, ?, ?, ?)',
    )
    for (const e of events) insert.run(name, e.at, e.reason, JSON.stringify(e))
  }

  /** Events in id order; `limit` keeps the newest. */
  events(name: string, options: { sinceId?: number; limit?: number } = {}): StoredEvent[] {
    const rows = this.#db
      .prepare(
        'select * from (select * from events where name = ? and id > ? order by id desc limit ?) order by id',
      )
      .all(name, options.sinceId ?? 0, options.limit ?? 1000) as Record<string, unknown>[]
    return rows.map((r) => ({
      ...(JSON.parse(r.event as string) as EngineEvent),
      id: r.id as number,
      rollout: r.name as string,
    }))
  }

  /** Stores a revision's evidence report (JSON), replacing an earlier one and what was said of it. */
  putDiagnosis(name: string, revision: number, report: unknown, createdAt: number): void {
    this.#write(() =>
      this.#db
        .prepare(
          'insert or replace into diagnoses (name, revision, created_at, report, advisor) values (?, ?, ?, ?, null)',
        )
        .run(name, revision, createdAt, JSON.stringify(report)),
    )
  }

  /** Stores what an advisor said of a stored report; false when there is no such report. */
  putDiagnosisAdvisor(name: string, revision: number, advisor: unknown): boolean {
    return this.#write(
      () =>
        this.#db
          .prepare('update diagnoses set advisor = ? where name = ? and revision = ?')
          .run(JSON.stringify(advisor), name, revision).changes > 0,
    )
  }

  /** A stored report and the advisor's record (or null), for `revision` or the latest one. */
  getDiagnosis(
    name: string,
    revision?: number,
  ): { revision: number; createdAt: number; report: unknown; advisor: unknown } | undefined {
    const row = (
      revision === undefined
        ? this.#db
            .prepare(
              'select * from diagnoses where name = ? order by created_at desc, revision desc limit 1',
            )
            .get(name)
        : this.#db
            .prepare('select * from diagnoses where name = ? and revision = ?')
            .get(name, revision)
    ) as Record<string, unknown> | undefined
    if (row === undefined) return undefined
    return {
      revision: row.revision as number,
      createdAt: row.created_at as number,
      report: JSON.parse(row.report as string) as unknown,
      advisor: row.advisor === null ? null : (JSON.parse(row.advisor as string) as unknown),
    }
  }

  /** Revisions of `name` with a stored report, newest first. */
  diagnosedRevisions(name: string): number[] {
    return (
      this.#db
        .prepare(
          'select revision from diagnoses where name = ? order by created_at desc, revision desc',
        )
        .all(name) as { revision: number }[]
    ).map((r) => r.revision)
  }

  putReplica(rec: ReplicaRecord): void {
    this.#write(() =>
      this.#db
        .prepare('insert or replace into replicas (id, record) values (?, ?)')
        .run(rec.id, JSON.stringify(rec)),
    )
  }

  deleteReplica(id: string): void {
    this.#write(() => this.#db.prepare('delete from replicas where id = ?').run(id))
  }

  listReplicas(): ReplicaRecord[] {
    return (
      this.#db.prepare('select record from replicas order by id').all() as { record: string }[]
    ).map((r) => JSON.parse(r.record) as ReplicaRecord)
  }

  /** Opens or closes a gate (creating it); returns it as stored. */
  setGate(name: string, open: boolean): StoredGate {
    const gate = { name, open, updatedAt: Date.now() }
    this.#write(() =>
      this.#db
        .prepare(
          `insert into gates (name, open, updated_at) values (?, ?, ?)
           on conflict (name) do update set open = excluded.open, updated_at = excluded.updated_at`,
        )
        .run(name, open ? 1 : 0, gate.updatedAt),
    )
    return gate
  }

  /** A gate, or undefined for one never opened or closed (which counts as closed). */
  getGate(name: string): StoredGate | undefined {
    const row = this.#db.prepare('select * from gates where name = ?').get(name) as
      Record<string, unknown> | undefined
    return row === undefined ? undefined : gateOf(row)
  }

  listGates(): StoredGate[] {
    return (
      this.#db.prepare('select * from gates order by name').all() as Record<string, unknown>[]
    ).map(gateOf)
  }

  /** Keeps a notification until it is sent or given up on; returns its id. */
  addOutboxMessage(rollout: string, notice: unknown): number {
    const id = this.#write(
      () =>
        this.#db
          .prepare('insert into outbox (name, notice, created_at) values (?, ?, ?)')
          .run(rollout, JSON.stringify(notice), Date.now()).lastInsertRowid,
    )
    return Number(id)
  }

  /** Forgets a notification that was sent, given up on or dropped. */
  removeOutboxMessage(id: number): void {
    this.#write(() => this.#db.prepare('delete from outbox where id = ?').run(id))
  }

  /** A rollout's notifications still waiting, oldest first. */
  outboxMessages(rollout: string): { id: number; notice: unknown }[] {
    return (
      this.#db.prepare('select id, notice from outbox where name = ? order by id').all(rollout) as {
        id: number
        notice: string
      }[]
    ).map((r) => ({ id: r.id, notice: JSON.parse(r.notice) as unknown }))
  }

  /** A rollout's notification counts by notification name, as last saved (JSON). */
  notificationCounts(rollout: string): unknown {
    const text = this.getMeta(NOTIFICATION_COUNTS + rollout)
    return text === undefined ? {} : (JSON.parse(text) as unknown)
  }

  setNotificationCounts(rollout: string, counts: unknown): void {
    this.setMeta(NOTIFICATION_COUNTS + rollout, JSON.stringify(counts))
  }

  setMeta(key: string, value: string): void {
    this.#write(() =>
      this.#db.prepare('insert or replace into meta (key, value) values (?, ?)').run(key, value),
    )
  }

  /** Metadata whose key starts with `prefix`. */
  metaWithPrefix(prefix: string): { key: string; value: string }[] {
    return this.#db
      .prepare('select key, value from meta where key >= ? and key < ? || char(1114111)')
      .all(prefix, prefix) as { key: string; value: string }[]
  }

  deleteMeta(key: string): void {
    this.#db.prepare('delete from meta where key = ?').run(key)
  }

  getMeta(key: string): string | undefined {
    return (
      this.#db.prepare('select value from meta where key = ?').get(key) as
        { value: string } | undefined
    )?.value
  }

  close(): void {
    if (this.#db.open) this.#db.close()
    this.#lock?.release()
  }
}

function gateOf(row: Record<string, unknown>): StoredGate {
  return {
    name: row.name as string,
    open: row.open === 1,
    updatedAt: row.updated_at as number,
  }
}
