/**
 * The local daemon's state: rollouts (spec and engine status), the workload of every revision, an
 * append-only event log, the replicas the supervisor runs, gates, the notification outbox, reports,
 * and small metadata — one table module each, over one SQLite database with WAL and
 * synchronous=FULL, so a committed write survives a kill -9 or a power cut. A write the disk
 * refuses throws a DependencyError that says so and is remembered for `writeHealth` (write-guard.ts).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { EngineEvent } from '../../engine/events.js'
import type { RolloutStatus } from '../../engine/status.js'
import { NotFoundError } from '../../errors.js'
import { DiagnosisTable } from './diagnosis-table.js'
import { DirLock } from './dir-lock.js'
import { EventTable } from './event-table.js'
import { GateTable } from './gate-table.js'
import { MetaTable } from './meta-table.js'
import { migrate } from './migrations.js'
import { NotificationCounts } from './notification-counts.js'
import { OutboxTable } from './outbox-table.js'
import { ReplicaTable } from './replica-table.js'
import { RevisionTable } from './revision-table.js'
import { RolloutTable } from './rollout-table.js'
import type { StateDb } from './state-db.js'
import { WriteGuard, type WriteHealth } from './write-guard.js'

function openDatabase(
  dir: string,
  lock: boolean,
): { lock: DirLock | undefined; db: Database.Database } {
  const dirLock = lock ? DirLock.acquire(dir) : undefined
  let db: Database.Database | undefined
  try {
    db = new Database(join(dir, 'kanari.db'))
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('busy_timeout = 5000')
    migrate(db)
    return { lock: dirLock, db }
  } catch (err) {
    db?.close()
    dirLock?.release()
    throw err
  }
}

export class StateStore {
  readonly #db: Database.Database
  readonly #lock: DirLock | undefined
  readonly #guard: WriteGuard
  readonly #state: StateDb

  readonly rollouts: RolloutTable
  readonly revisions: RevisionTable
  readonly events: EventTable
  readonly diagnoses: DiagnosisTable
  readonly replicas: ReplicaTable
  readonly gates: GateTable
  readonly outbox: OutboxTable
  readonly meta: MetaTable
  readonly notificationCounts: NotificationCounts

  private constructor(
    readonly dir: string,
    lock: boolean,
  ) {
    mkdirSync(dir, { recursive: true })
    const guard = new WriteGuard(dir)
    const opened = guard.opening(() => openDatabase(dir, lock))
    this.#guard = guard
    this.#lock = opened.lock
    this.#db = opened.db
    this.#state = { db: opened.db, write: (fn) => guard.write(fn) }
    this.rollouts = new RolloutTable(this.#state)
    this.revisions = new RevisionTable(this.#state)
    this.events = new EventTable(this.#state)
    this.diagnoses = new DiagnosisTable(this.#state)
    this.replicas = new ReplicaTable(this.#state)
    this.gates = new GateTable(this.#state)
    this.outbox = new OutboxTable(this.#state)
    this.meta = new MetaTable(this.#state)
    this.notificationCounts = new NotificationCounts(this.meta)
  }

  /** Opens (creating) `<dir>/kanari.db`, taking the directory lock first unless `lock: false`. */
  static open(dir: string, options: { lock?: boolean } = {}): StateStore {
    return new StateStore(dir, options.lock ?? true)
  }

  /** Persists a new status together with the events it produced, in one transaction. */
  saveStatus(name: string, status: RolloutStatus, events: EngineEvent[] = []): void {
    this.#state.write(() =>
      this.#db.transaction(() => {
        if (!this.rollouts.setStatus(name, status))
          throw new NotFoundError(`saveStatus: no rollout named ${name}`)
        this.events.append(name, events)
      })(),
    )
  }

  /** Forgets a rollout and everything kept for it, in one transaction. */
  deleteRollout(name: string): void {
    this.#state.write(() =>
      this.#db.transaction(() => {
        this.rollouts.deleteOf(name)
        this.revisions.deleteOf(name)
        this.events.deleteOf(name)
        this.outbox.deleteOf(name)
        this.diagnoses.deleteOf(name)
        this.notificationCounts.deleteOf(name)
      })(),
    )
  }

  /**
   * Gives back the space kept in reserve, for a write that starting needs (the API address) on a
   * full disk; state is not saved until there is room to keep the reserve again. False when there
   * was none to give.
   */
  giveBackReserve(): boolean {
    return this.#guard.giveBackReserve()
  }

  /**
   * Whether state can be saved. After a failed write it tries again (a small metadata write, at
   * most once a second), so space freed meanwhile shows without waiting for a rollout to change.
   */
  writeHealth(): WriteHealth {
    return this.#guard.health(() => this.meta.set('lastWriteCheck', String(Date.now())))
  }

  close(): void {
    if (this.#db.open) this.#db.close()
    this.#lock?.release()
  }
}
