/**
 * Appending a replica's output to its log file, whoever copies it there (the output relay, or the
 * supervisor when no relay runs): the log starts over past its cap, and a write the disk refuses is
 * dropped and counted, never thrown, so a full disk costs log lines and never the replica.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import { LOG_CAP_BYTES } from './replica-logs.js'

export class CappedLog {
  /** Bytes of output that could not be written (disk full, read-only…). */
  droppedBytes = 0
  /** Why the last write failed (`ENOSPC`…), while writes fail; undefined once one succeeds. */
  dropReason: string | undefined
  /** Bytes written since this log was opened here. */
  writtenBytes = 0
  #fd: number | undefined
  #size = 0

  constructor(
    readonly path: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Appends `chunk`; on failure drops and counts it. */
  write(chunk: Buffer): void {
    try {
      const fd = this.#open()
      if (this.#size + chunk.length > LOG_CAP_BYTES) {
        ftruncateSync(fd, 0)
        this.#size = 0
      }
      let done = 0
      while (done < chunk.length) done += writeSync(fd, chunk, done)
      this.#size += chunk.length
      this.writtenBytes += chunk.length
      this.dropReason = undefined
    } catch (err) {
      this.droppedBytes += chunk.length
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      if (this.dropReason !== code)
        this.log(`dropping output of ${this.path}: ${(err as Error).message}`)
      this.dropReason = code
      // A partly written chunk or a failed open: reopen next time, to find the real size again.
      this.close()
    }
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
