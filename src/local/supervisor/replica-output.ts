/**
 * A replica's stdout and stderr. The replica writes into a FIFO beside its log file and the
 * supervisor copies what arrives into the log, so a full disk costs log lines, never the replica:
 * bytes that cannot be written are dropped and counted. The replica holds the FIFO open for reading
 * too, so it never gets EPIPE while no daemon runs (once the pipe's 64 KiB are full its writes wait),
 * and the next daemon reopens the FIFO by path and drains it. Where no FIFO can be made, the replica
 * appends to the log file itself, as before.
 */
import { execFileSync } from 'node:child_process'
import {
  appendFileSync,
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { Socket } from 'node:net'
import { capLog, indexPathOf, LOG_CAP_BYTES } from './replica-logs.js'
/** Lines kept in memory per replica, for problem reports when the log file is not at hand. */
const RECENT_LINES = 20
const MAX_LINE_CHARS = 500

export class ReplicaOutput {
  /** Bytes of output that could not be written to the log (disk full, read-only…). */
  droppedBytes = 0
  /** Why the last write failed (`ENOSPC`…), while writes fail; undefined once one succeeds. */
  dropReason: string | undefined
  readonly #recent: string[] = []
  #partial = ''
  readonly #readers = new Set<Socket>()
  #logFd: number | undefined
  #logSize = 0
  #closing = false
  /** The epoch second of the last time-index entry (see replica-logs.ts), or -1. */
  #indexedSecond = -1

  constructor(
    readonly logPath: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  get fifoPath(): string {
    return this.logPath.replace(/\.log$/, '') + '.out'
  }

  /**
   * The descriptor to give a new process as stdout and stderr (the caller closes it once the process
   * is spawned), or 'ignore' when there is nowhere to put its output. Starts draining the FIFO first,
   * so nothing the process writes is missed.
   */
  openForProcess(): number | 'ignore' {
    try {
      if (this.#ensureFifo()) {
        this.#drain()
        // Read and write: the process is a reader of its own output too, so it never sees EPIPE.
        return openSync(this.fifoPath, constants.O_RDWR)
      }
      // No FIFO here: the process appends to its log itself, capped at each start.
      capLog(this.logPath)
      return openSync(this.logPath, 'a')
    } catch (err) {
      this.log(`no output for ${this.logPath}: ${(err as Error).message}; the replica runs without`)
      return 'ignore'
    }
  }

  /** An adopted replica (started by an earlier daemon): drain its FIFO again, if it has one. */
  reattach(): void {
    try {
      if (lstatSync(this.fifoPath).isFIFO()) this.#drain()
    } catch {
      // started before replicas had a FIFO: it writes its log itself
    }
  }

  /** The last lines the replica wrote, oldest first. */
  recentLines(n: number): string[] {
    const lines = this.#partial === '' ? this.#recent : [...this.#recent, this.#partial]
    return lines.slice(-n)
  }

  /**
   * The replica is gone: closes the log once what it wrote last has been read (its FIFO ends when
   * the last writer exits). The FIFO stays for the next process of this replica.
   */
  close(): void {
    this.#closing = true
    if (this.#readers.size === 0) this.#closeLog()
  }

  /** Stops reading at once, leaving the rest in the FIFO for the next daemon (the replica runs on). */
  detach(): void {
    for (const reader of this.#readers) reader.destroy()
    this.#readers.clear()
    this.#closeLog()
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

  #drain(): void {
    this.#closing = false
    // Non-blocking, so opening does not wait for a writer; the process opens its end right after.
    const fd = openSync(this.fifoPath, constants.O_RDONLY | constants.O_NONBLOCK)
    const reader = new Socket({ fd, readable: true, writable: false })
    this.#readers.add(reader)
    reader.on('data', (chunk: Buffer) => {
      this.#remember(chunk)
      this.#write(chunk)
    })
    reader.on('error', (err) => this.log(`reading the output of ${this.logPath}: ${err.message}`))
    reader.on('close', () => {
      this.#readers.delete(reader)
      if (this.#closing && this.#readers.size === 0) this.#closeLog()
    })
  }

  #remember(chunk: Buffer): void {
    const lines = (this.#partial + chunk.toString('utf8')).split('\n')
    this.#partial = (lines.pop() ?? '').slice(-MAX_LINE_CHARS)
    for (const line of lines)
      if (line.trim() !== '') this.#recent.push(line.slice(0, MAX_LINE_CHARS))
    this.#recent.splice(0, Math.max(0, this.#recent.length - RECENT_LINES))
  }

  /** Appends to the log; a failed write is dropped and counted, never thrown. */
  #write(chunk: Buffer): void {
    try {
      const fd = this.#open()
      if (this.#logSize + chunk.length > LOG_CAP_BYTES) {
        ftruncateSync(fd, 0)
        this.#logSize = 0
        this.#indexedSecond = -1
      }
      this.#indexTime(Date.now())
      let done = 0
      while (done < chunk.length) done += writeSync(fd, chunk, done)
      this.#logSize += chunk.length
      this.dropReason = undefined
    } catch (err) {
      this.droppedBytes += chunk.length
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      if (this.dropReason !== code)
        this.log(`dropping output of ${this.logPath}: ${(err as Error).message}`)
      this.dropReason = code
      // A partly written chunk or a failed open: reopen next time, to find the real size again.
      this.#closeLog()
    }
  }

  /**
   * Notes, once a second at most, the offset the next bytes go to and the time: how a diagnosis
   * finds the lines of a time window. A log started over (or new) starts its index over too. An
   * index that cannot be written costs only the window: the whole log is read instead.
   */
  #indexTime(now: number): void {
    const second = Math.floor(now / 1000)
    if (second === this.#indexedSecond) return
    try {
      const entry = `${this.#logSize} ${now}\n`
      if (this.#logSize === 0) writeFileSync(indexPathOf(this.logPath), entry)
      else appendFileSync(indexPathOf(this.logPath), entry)
      this.#indexedSecond = second
    } catch {
      // no index: the log is still written
    }
  }

  #open(): number {
    if (this.#logFd === undefined) {
      this.#logFd = openSync(this.logPath, 'a')
      this.#logSize = fstatSync(this.#logFd).size
    }
    return this.#logFd
  }

  #closeLog(): void {
    if (this.#logFd !== undefined) closeSync(this.#logFd)
    this.#logFd = undefined
  }
}
