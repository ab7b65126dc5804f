/**
 * A background process's own log: lines written to a descriptor (its stdout or stderr) that whoever
 * started it opened on a file in append mode (`daemon.log`, `logs/relay.log`, `logs/proxy-<rollout>.log`). Past its cap the file
 * is copied to `<path>.1`, replacing the copy before, and emptied in place: every descriptor open on
 * it (stdout and stderr, and so a crash's stack trace too) goes on writing to the same file, and the
 * two files together never hold much more than twice the cap. A line that cannot be written is
 * lost, never thrown: a log line is not worth the process.
 */
import { copyFileSync, fstatSync, ftruncateSync, statSync, writeSync } from 'node:fs'

/** The daemon's log: some 20 000 event lines. */
export const DAEMON_LOG_CAP_BYTES = 4 * 1024 * 1024
/** The output relay's and the proxies' logs: they note only starts, stops and trouble. */
export const HELPER_LOG_CAP_BYTES = 256 * 1024

export class OwnLog {
  /** False when the descriptor is not a regular file (a terminal, a pipe): nothing to keep under a cap. */
  readonly #onFile: boolean

  constructor(
    readonly fd: number,
    /** The file the descriptor is expected on; nothing is rotated unless it is that file. */
    readonly path: string,
    readonly capBytes: number,
  ) {
    this.#onFile = this.#size() !== undefined
  }

  /** Appends `line` (a newline is added), first making room when the file would pass its cap. */
  write(line: string): void {
    const bytes = Buffer.from(`${line}\n`)
    // The file's own size, so what other descriptors on it wrote (a stack trace on stderr) counts.
    const size = this.#onFile ? this.#size() : undefined
    if (size !== undefined && size + bytes.length > this.capBytes && this.#isPath()) this.#rotate()
    try {
      let done = 0
      while (done < bytes.length) done += writeSync(this.fd, bytes, done)
    } catch {
      // dropped (a full disk)
    }
  }

  #rotate(): void {
    try {
      copyFileSync(this.path, `${this.path}.1`)
    } catch {
      // no room for the copy: the old lines go, the new ones still get written
    }
    try {
      ftruncateSync(this.fd, 0)
    } catch {
      // it grows on; tried again at the next line
    }
  }

  #size(): number | undefined {
    try {
      const open = fstatSync(this.fd)
      return open.isFile() ? open.size : undefined
    } catch {
      return undefined
    }
  }

  /** The descriptor is on `path` (not on a file since moved or replaced). */
  #isPath(): boolean {
    try {
      const open = fstatSync(this.fd)
      const named = statSync(this.path)
      return named.ino === open.ino && named.dev === open.dev
    } catch {
      return false
    }
  }
}
