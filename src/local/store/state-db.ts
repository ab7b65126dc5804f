/**
 * What every table of the state store is given: the open database, and the one way to write to it
 * (which refuses a write while the disk is too full and remembers why a write failed).
 */
import type Database from 'better-sqlite3'

export interface StateDb {
  readonly db: Database.Database
  /** Runs one write; a write the disk refuses throws a DependencyError that says why. */
  write<T>(fn: () => T): T
}
