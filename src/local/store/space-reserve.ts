/**
 * A little disk space kept back in the state directory (`reserve`, 256 KiB): on a full disk it is
 * given back at start, so the lock, SQLite's shared memory and the API address still fit and the
 * daemon starts. Until there is room to keep it again, the store saves nothing: what little space
 * there is stays for starting.
 */
import { randomBytes } from 'node:crypto'
import { renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const RESERVE_BYTES = 256 * 1024

export class SpaceReserve {
  readonly path: string

  constructor(
    readonly dir: string,
    readonly bytes = RESERVE_BYTES,
  ) {
    this.path = join(dir, 'reserve')
  }

  /** Whether the reserve is in place, making it when there is room for it and as much again. */
  ensure(): boolean {
    if (this.#held()) return true
    const free = this.freeBytes()
    if (free === undefined || free < 2 * this.bytes) return false
    const tmp = `${this.path}.${process.pid}.tmp`
    try {
      // Random bytes: a compressing filesystem would keep zeros in next to no space.
      writeFileSync(tmp, randomBytes(this.bytes))
      renameSync(tmp, this.path)
      return true
    } catch {
      rmSync(tmp, { force: true })
      return false
    }
  }

  /** Gives the reserved space back; false when there was none to give. */
  release(): boolean {
    if (!this.#held()) return false
    rmSync(this.path, { force: true })
    return true
  }

  /** Bytes free for this process on the directory's filesystem (undefined when unknown). */
  freeBytes(): number | undefined {
    try {
      const s = statfsSync(this.dir)
      return s.bavail * s.bsize
    } catch {
      return undefined
    }
  }

  #held(): boolean {
    try {
      return statSync(this.path).size >= this.bytes
    } catch {
      return false
    }
  }
}
