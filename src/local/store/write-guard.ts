/**
 * Every write to the state goes through here: refused while the disk has no room for the reserve,
 * and a write the disk fails (full, read-only, failing) is remembered for `health` and thrown as a
 * DependencyError that says what happened to which file. The next write tries again.
 */
import { join } from 'node:path'
import { RESERVE_BYTES, SpaceReserve } from './space-reserve.js'
import { stateNotWritable, storageFailure } from './storage-failure.js'

/** Whether the store can save, and if not, why, in words (the API's daemon condition). */
export interface WriteHealth {
  stateWritable: boolean
  problem: string | null
}

/** After a failed write, `health` tries again at most this often. */
const RECHECK_MS = 1000

export class WriteGuard {
  readonly #reserve: SpaceReserve
  /** Why the last write failed, until one succeeds. */
  #problem: { text: string; at: number } | undefined

  constructor(readonly dir: string) {
    this.#reserve = new SpaceReserve(dir)
    this.#reserve.ensure()
  }

  /**
   * Runs `open`. On a full disk it gives back the reserve, so what starting needs fits, and opens
   * again; nothing is saved until there is room to keep the reserve again.
   */
  opening<T>(open: () => T): T {
    try {
      return open()
    } catch (err) {
      if (storageFailure(err) === undefined || !this.#reserve.release()) throw err
      const opened = open()
      this.#problem = { text: this.#lowSpaceText(), at: Date.now() }
      return opened
    }
  }

  /** Runs one write (see the module comment). */
  write<T>(fn: () => T): T {
    if (!this.#reserve.ensure()) {
      const text = this.#lowSpaceText()
      this.#problem = { text, at: Date.now() }
      throw stateNotWritable(text)
    }
    try {
      const result = fn()
      this.#problem = undefined
      return result
    } catch (err) {
      const failure = storageFailure(err)
      if (failure === undefined) throw err
      const text = `${failure.what} (${failure.code}) writing ${join(this.dir, 'kanari.db')}`
      this.#problem = { text, at: Date.now() }
      throw stateNotWritable(text, err)
    }
  }

  #lowSpaceText(): string {
    const free = this.#reserve.freeBytes()
    return `disk full (ENOSPC): ${free === undefined ? 'almost no space' : `${Math.floor(free / 1024)} KiB`} free for ${this.dir}; Kanari saves state once ${(2 * RESERVE_BYTES) / 1024} KiB are free, to keep ${RESERVE_BYTES / 1024} KiB in reserve for starting`
  }

  /** Gives back the space kept in reserve; false when there was none to give. */
  giveBackReserve(): boolean {
    if (!this.#reserve.release()) return false
    this.#problem = { text: this.#lowSpaceText(), at: Date.now() }
    return true
  }

  /**
   * Whether state can be saved. After a failed write it runs `probe` (a small write, at most once
   * a second), so space freed meanwhile shows without waiting for a rollout to change.
   */
  health(probe: () => void): WriteHealth {
    const problem = this.#problem
    if (problem !== undefined && Date.now() - problem.at >= RECHECK_MS) {
      try {
        probe()
      } catch {
        // still failing: write() recorded why
      }
    }
    const now = this.#problem
    return now === undefined
      ? { stateWritable: true, problem: null }
      : { stateWritable: false, problem: `${now.text} — free space; Kanari retries every tick` }
  }
}
