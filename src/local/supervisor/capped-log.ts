/**
 * Appending a replica's output to its log file, whoever copies it there (the output relay, or the
 * supervisor when no relay runs): the log starts over past its cap, and a write the disk refuses is
 * dropped and counted, never thrown, so a full disk costs log lines and never the replica. Output is
 * also dropped while the disk is nearly full: what space is left goes to Kanari's own state first.
 */
import {
  appendFileSync,
  closeSync,
  fstatSync,
  ftruncateSync,
  openSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { dirname } from 'node:path'
import { indexPathOf, LOG_CAP_BYTES } from './replica-logs.js'

/** Replica output is written only while its disk has this much free (twice the store's reserve and more). */
export const LOG_HEADROOM_BYTES = 1024 * 1024
/** How often the free space is looked at. */
const FREE_CHECK_MS = 100

export class CappedLog {
  /** Bytes of output that could not be written (disk full, read-only…). */
  droppedBytes = 0
  /** Why the last write failed (`ENOSPC`…), while writes fail; undefined once one succeeds. */
  dropReason: string | undefined
  /** Bytes written since this log was opened here. */
  writtenBytes = 0
  #fd: number | undefined
  #size = 0
  #freeCheckedAt = 0
  #freeBytes: number | undefined
  /** The epoch second of the last time-index entry (see replica-logs.ts), or -1. */
  #indexedSecond = -1

  constructor(
    readonly path: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Appends `chunk`; on failure, or with too little space left, drops and counts it. */
  write(chunk: Buffer): void {
    const free = this.#free()
    if (free !== undefined && free < LOG_HEADROOM_BYTES) {
      this.#drop(
        chunk,
        'ENOSPC',
        `${Math.floor(free / 1024)} KiB free on its disk, under the ${LOG_HEADROOM_BYTES / 1024} KiB kept for Kanari's state`,
      )
      return
    }
    try {
      const fd = this.#open()
      if (this.#size + chunk.length > LOG_CAP_BYTES) {
        ftruncateSync(fd, 0)
        this.#size = 0
        this.#indexedSecond = -1
      }
      const offset = this.#size
      const now = Date.now()
      // The bytes first: a relay has taken them out of the FIFO, and until they are in the file
      // they are only in its memory, where a kill -9 loses them. The index entry can wait.
      let done = 0
      while (done < chunk.length) done += writeSync(fd, chunk, done)
      this.#size += chunk.length
      this.writtenBytes += chunk.length
      this.dropReason = undefined
      this.#indexTime(offset, now)
    } catch (err) {
      this.#drop(chunk, (err as NodeJS.ErrnoException).code ?? 'error', (err as Error).message)
      // A partly written chunk or a failed open: reopen next time, to find the real size again.
      this.close()
    }
  }

  /**
   * Notes, once a second at most, the offset bytes written at `now` went to, and the time: how a
   * diagnosis finds the lines of a time window. A log started over (or new) starts its index over
   * too. An index that cannot be written costs only the window: the whole log is read instead.
   */
  #indexTime(offset: number, now: number): void {
    const second = Math.floor(now / 1000)
    if (second === this.#indexedSecond) return
    try {
      const entry = `${offset} ${now}\n`
      if (offset === 0) writeFileSync(indexPathOf(this.path), entry)
      else appendFileSync(indexPathOf(this.path), entry)
      this.#indexedSecond = second
    } catch {
      // no index: the log is still written
    }
  }

  #drop(chunk: Buffer, code: string, why: string): void {
    this.droppedBytes += chunk.length
    if (this.dropReason !== code) this.log(`dropping output of ${this.path}: ${why}`)
    this.dropReason = code
  }

  /** Free bytes on the log's disk, looked at no more often than every FREE_CHECK_MS. */
  #free(): number | undefined {
    const now = Date.now()
    if (now - this.#freeCheckedAt < FREE_CHECK_MS) return this.#freeBytes
    this.#freeCheckedAt = now
    try {
      const s = statfsSync(dirname(this.path))
      this.#freeBytes = s.bavail * s.bsize
    } catch {
      this.#freeBytes = undefined
    }
    return this.#freeBytes
  }

  close(): void {
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd)
      } catch {
        // already closed
      }
    }
    this.#fd = undefined
  }

  #open(): number {
    if (this.#fd === undefined) {
      this.#fd = openSync(this.path, 'a')
      this.#size = fstatSync(this.#fd).size
    }
    return this.#fd
  }
}
