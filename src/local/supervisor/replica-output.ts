/**
 * A replica's stdout and stderr. The replica writes into a FIFO beside its log file, and the state
 * directory's output relay (a process of its own, see output-relay/) copies what arrives into the
 * log — also while no daemon runs, so a chatty replica never waits for one. A full disk costs log
 * lines, never the replica: bytes that cannot be written are dropped and counted. The replica holds
 * the FIFO open for reading too, so it never gets EPIPE, and what it writes while nobody drains waits
 * in the FIFO. Where no relay can run, the supervisor drains the FIFO itself; where no FIFO can be
 * made, the replica appends to the log file itself, as before.
 */
import { execFileSync } from 'node:child_process'
import { closeSync, constants, lstatSync, openSync, rmSync, statSync } from 'node:fs'
import { FifoDrain, fifoInode, fifoPathOf } from './fifo-drain.js'
import type { OutputRelayLink } from './output-relay/relay-link.js'
import { tailOfFile } from './recent-lines.js'
import { capLog } from './replica-logs.js'

export class ReplicaOutput {
  /** The log's size when this replica began: its last lines, read from the file, start here. */
  readonly #startOffset: number
  /** Draining here, while no relay runs. */
  #drain: FifoDrain | undefined
  /** Dropped by drains here that have stopped. */
  #droppedHere = 0
  /** Whether its current process writes into the FIFO (false: into the log, or nowhere). */
  #usesFifo = false
  /**
   * A descriptor of ours on the FIFO, never read: while it is open, what a replica wrote before
   * exiting stays in the FIFO for the relay even if the relay was not reading yet.
   */
  #keeper: { fd: number; inode: number } | undefined
  #closed = false

  constructor(
    readonly logPath: string,
    private readonly relay: OutputRelayLink,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.#startOffset = sizeOf(logPath)
  }

  get fifoPath(): string {
    return fifoPathOf(this.logPath)
  }

  /** Bytes of output that could not be written to the log (disk full, read-only…). */
  get droppedBytes(): number {
    return (
      this.relay.droppedBytes(this.logPath) +
      this.#droppedHere +
      (this.#drain?.log.droppedBytes ?? 0)
    )
  }

  /** Why its output cannot be written to the log now (`ENOSPC`…); undefined while it can. */
  get dropReason(): string | undefined {
    return this.#drain?.log.dropReason ?? this.relay.dropReason(this.logPath)
  }

  /**
   * Before a process starts: makes the FIFO and has the relay drain it (waiting a little for a relay
   * that is starting), or drains it here when there is no relay, so nothing the process writes is missed.
   */
  async prepare(): Promise<void> {
    this.#closed = false
    this.#usesFifo = this.#ensureFifo()
    if (!this.#usesFifo) return
    this.#keep()
    if (this.relay.mode !== 'local' && (await this.relay.drains(this.fifoPath))) return
    if (this.relay.mode === 'local') this.drainHere()
  }

  /**
   * The descriptor to give a new process as stdout and stderr (the caller closes it once the process
   * is spawned), or 'ignore' when there is nowhere to put its output.
   */
  openForProcess(): number | 'ignore' {
    try {
      if (this.#usesFifo && fifoInode(this.fifoPath) !== undefined) {
        // Read and write: the process is a reader of its own output too, so it never sees EPIPE.
        return openSync(this.fifoPath, constants.O_RDWR)
      }
      this.#usesFifo = false
      // No FIFO here: the process appends to its log itself, capped at each start.
      capLog(this.logPath)
      return openSync(this.logPath, 'a')
    } catch (err) {
      this.log(`no output for ${this.logPath}: ${(err as Error).message}; the replica runs without`)
      return 'ignore'
    }
  }

  /** An adopted replica (started by an earlier daemon): the relay drains it, or we do without one. */
  reattach(): void {
    this.#usesFifo = fifoInode(this.fifoPath) !== undefined
    if (!this.#usesFifo) return
    this.#keep()
    if (this.relay.mode === 'local') this.drainHere()
  }

  /** Whether the last lines known include what the replica wrote up to its exit at `exitedAt`. */
  settled(exitedAt: number): boolean {
    return !this.#usesFifo || this.#drain !== undefined || this.relay.settled(exitedAt)
  }

  /**
   * The last lines the replica wrote, oldest first: as the relay (or the drain here) holds them, or,
   * when it cannot tell — no relay, or none asked since the replica exited at `exitedAt` — the end of
   * the log file since this replica began.
   */
  recentLines(n: number, exitedAt?: number): string[] {
    if (this.#drain !== undefined) return this.#drain.recent.last(n)
    return (
      this.relay.recentLines(this.logPath, n, exitedAt) ??
      tailOfFile(this.logPath, n, this.#startOffset)
    )
  }

  /**
   * The replica is gone for good (its process has exited): what it wrote last is copied, and its
   * FIFO removed, so the relay lets go of it. The next replica at this index makes a new one.
   */
  close(): void {
    this.#closed = true
    this.stopDrainingHere({ flush: true })
    try {
      if (lstatSync(this.fifoPath).isFIFO()) rmSync(this.fifoPath, { force: true })
    } catch {
      // no FIFO: the replica wrote its log itself
    }
    this.relay.forget(this.logPath)
    // Once the relay has looked, what waited in the FIFO is in the log: nothing more to keep.
    this.#release(this.relay.poke())
  }

  /** Stops reading here, leaving the rest in the FIFO for the relay or the next daemon. */
  detach(): void {
    this.stopDrainingHere({ flush: false })
    this.#release()
  }

  /** No relay runs: copy the FIFO into the log here, in the daemon, until one does. */
  drainHere(): void {
    if (this.#drain !== undefined || this.#closed) return
    const inode = fifoInode(this.fifoPath)
    if (inode === undefined) return
    this.#drain = new FifoDrain(this.fifoPath, inode, this.log)
  }

  stopDrainingHere(options: { flush: boolean } = { flush: false }): void {
    const drain = this.#drain
    if (drain === undefined) return
    this.#drain = undefined
    drain.stop(options)
    this.#droppedHere += drain.log.droppedBytes
  }

  #keep(): void {
    const inode = fifoInode(this.fifoPath)
    if (this.#keeper !== undefined && this.#keeper.inode === inode) return
    this.#release()
    if (inode === undefined) return
    try {
      this.#keeper = {
        fd: openSync(this.fifoPath, constants.O_RDONLY | constants.O_NONBLOCK),
        inode,
      }
    } catch {
      // out of descriptors: the relay alone holds what waits
    }
  }

  /** Closes our descriptor on the FIFO, now or once `until` settles. */
  #release(until?: Promise<unknown>): void {
    const keeper = this.#keeper
    if (keeper === undefined) return
    this.#keeper = undefined
    if (until === undefined) closeSync(keeper.fd)
    else void until.finally(() => closeSync(keeper.fd))
  }

  /** Makes the FIFO if it is not there; false when this filesystem or system cannot. */
  #ensureFifo(): boolean {
    try {
      if (lstatSync(this.fifoPath).isFIFO()) return true
      rmSync(this.fifoPath, { force: true })
    } catch {
      // not there yet
    }
    try {
      execFileSync('mkfifo', ['-m', '600', this.fifoPath], { stdio: 'ignore' })
      return true
    } catch (err) {
      this.log(`no FIFO for ${this.logPath} (${String(err)}); the replica writes its log itself`)
      return false
    }
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
