/**
 * Copying one replica FIFO into its capped log as output arrives, keeping the last lines in memory.
 * The drain outlives each process of the replica: when the last writer goes (the FIFO ends), it opens
 * the FIFO again for the next one, until it is stopped or the FIFO is removed.
 */
import { constants, lstatSync, openSync, readSync } from 'node:fs'
import { Socket } from 'node:net'
import { CappedLog } from './capped-log.js'
import { RecentLines } from './recent-lines.js'

/** After its writers are gone, the FIFO is opened again this soon: output waits in it meanwhile. */
const REOPEN_MS = 100

/** A replica's FIFO beside its log: `<index>.out` for `<index>.log`. */
export function fifoPathOf(logPath: string): string {
  return logPath.replace(/\.log$/, '') + '.out'
}

export function logPathOf(fifoPath: string): string {
  return fifoPath.replace(/\.out$/, '') + '.log'
}

/** The FIFO's inode, or undefined when there is no FIFO at `path`. */
export function fifoInode(path: string): number | undefined {
  try {
    const st = lstatSync(path)
    return st.isFIFO() ? st.ino : undefined
  } catch {
    return undefined
  }
}

export class FifoDrain {
  readonly log: CappedLog
  readonly recent = new RecentLines()
  #reader: { socket: Socket; fd: number } | undefined
  #reopen: NodeJS.Timeout | undefined
  #stopped = false

  constructor(
    readonly fifoPath: string,
    /** The FIFO this drain reads: another one made at the same path later is another drain's. */
    readonly inode: number,
    private readonly note: (line: string) => void = () => undefined,
  ) {
    this.log = new CappedLog(logPathOf(fifoPath), note)
    this.#open()
  }

  /** Bytes copied into the log and dropped, since this drain began. */
  get relayedBytes(): number {
    return this.log.writtenBytes + this.log.droppedBytes
  }

  /**
   * Stops reading, first copying what is waiting in the FIFO; with `flush: false` it is left there
   * for whoever drains next.
   */
  stop(options: { flush: boolean }): void {
    this.#stopped = true
    clearTimeout(this.#reopen)
    const reader = this.#reader
    this.#reader = undefined
    if (reader !== undefined) {
      reader.socket.pause()
      if (options.flush) this.#readWaiting(reader.fd)
      reader.socket.destroy()
    }
    this.log.close()
  }

  #open(): void {
    if (this.#stopped) return
    if (fifoInode(this.fifoPath) !== this.inode) {
      // Removed (its replica is gone) or replaced: nothing more to read here.
      this.#stopped = true
      this.log.close()
      return
    }
    let fd: number
    try {
      // Non-blocking, so opening does not wait for a writer; the replica opens its end when it starts.
      fd = openSync(this.fifoPath, constants.O_RDONLY | constants.O_NONBLOCK)
    } catch (err) {
      this.note(`cannot read ${this.fifoPath}: ${(err as Error).message}`)
      this.#later()
      return
    }
    const socket = new Socket({ fd, readable: true, writable: false })
    const reader = { socket, fd }
    this.#reader = reader
    socket.on('data', (chunk: Buffer) => this.#take(chunk))
    socket.on('error', (err) => this.note(`reading ${this.fifoPath}: ${err.message}`))
    const ended = (): void => {
      // The descriptor is closed by now: never read it again.
      if (this.#reader !== reader) return
      this.#reader = undefined
      this.log.close()
      this.#later()
    }
    socket.on('end', ended)
    socket.on('close', ended)
  }

  #later(): void {
    if (this.#stopped) return
    clearTimeout(this.#reopen)
    this.#reopen = setTimeout(() => this.#open(), REOPEN_MS)
  }

  #take(chunk: Buffer): void {
    // Into the log before anything else: read out of the FIFO, the chunk is nowhere but here.
    this.log.write(chunk)
    this.recent.add(chunk)
  }

  /** Reads what is in the FIFO now, without waiting: up to EAGAIN (a writer, nothing more) or EOF. */
  #readWaiting(fd: number): void {
    const buffer = Buffer.alloc(64 * 1024)
    for (;;) {
      let got: number
      try {
        got = readSync(fd, buffer, 0, buffer.length, null)
      } catch {
        return
      }
      if (got === 0) return
      this.#take(Buffer.from(buffer.subarray(0, got)))
    }
  }
}
