/**
 * One daemon per state directory: `daemon.lock` holds the owner's pid. A lock whose pid is dead
 * (the daemon was killed) is taken over at once; a live owner makes the second daemon fail clearly.
 */
import {
  closeSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { DaemonUnavailableError } from '../../errors.js'
import { isAlive } from '../process-alive.js'

/** Directories locked by this process (a pid check cannot tell two opens in one process apart). */
const heldHere = new Set<string>()

export class DirLock {
  private constructor(readonly path: string) {}

  static acquire(dir: string): DirLock {
    const path = join(dir, 'daemon.lock')
    const mine = JSON.stringify({ pid: process.pid, startedAt: Date.now() })
    if (heldHere.has(path)) throw DirLock.#busy(dir, process.pid)
    try {
      const fd = openSync(path, 'wx', 0o600)
      try {
        writeSync(fd, mine)
      } catch (err) {
        // A lock without its owner would be taken for a dead daemon's: leave none.
        rmSync(path, { force: true })
        throw err
      } finally {
        closeSync(fd)
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = DirLock.#owner(path)
      if (owner !== undefined && owner !== process.pid && isAlive(owner))
        throw DirLock.#busy(dir, owner)
      // Stale (its daemon died): replace it atomically, then check nobody else won the race.
      const tmp = `${path}.${process.pid}.tmp`
      try {
        writeFileSync(tmp, mine, { mode: 0o600 })
      } catch (err) {
        rmSync(tmp, { force: true })
        throw err
      }
      renameSync(tmp, path)
      const now = DirLock.#owner(path)
      if (now !== process.pid) throw DirLock.#busy(dir, now ?? 0)
    }
    heldHere.add(path)
    return new DirLock(path)
  }

  static #owner(path: string): number | undefined {
    try {
      const pid = (JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown }).pid
      return typeof pid === 'number' ? pid : undefined
    } catch {
      return undefined
    }
  }

  static #busy(dir: string, pid: number): DaemonUnavailableError {
    return new DaemonUnavailableError(
      `state directory ${dir} is in use by another Kanari daemon (pid ${pid})`,
      {
        hint: `talk to that one, stop it with \`kanari down --state-dir ${dir}\`, or use another --state-dir`,
      },
    )
  }

  release(): void {
    heldHere.delete(this.path)
    if (DirLock.#owner(this.path) === process.pid) rmSync(this.path, { force: true })
  }
}
