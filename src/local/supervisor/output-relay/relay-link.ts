/**
 * The supervisor's handle on its state directory's output relay: adopt the relay that answers or
 * start one, ask it for its status each second (starting it again if it died: output waits in the
 * FIFOs meanwhile), and keep that status, so what the supervisor says of replica output — dropped
 * bytes, the last lines — stays synchronous. Where no relay can be started, the supervisor drains
 * the FIFOs itself (mode `local`) and tries again later.
 */
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { entryArgs, readHello } from '../../node-entry.js'
import { isAlive } from '../../process-alive.js'
import {
  callRelay,
  RELAY,
  RELAY_PROTOCOL,
  relayArgs,
  relayLogPath,
  relaySocketPath,
  type RelayHello,
  type RelayLogStatus,
  type RelayScan,
  type RelayStatus,
} from './protocol.js'

/** `starting`: being adopted or started, nobody drains; `relay`: it drains; `local`: we drain. */
export type RelayMode = 'starting' | 'relay' | 'local'

const POLL_MS = 1_000
const CALL_TIMEOUT_MS = 2_000
const HELLO_TIMEOUT_MS = 15_000
/** A relay that is running but has not answered this many polls in a row is replaced. */
const MAX_MISSED_POLLS = 5
/** After a relay could not be started, the supervisor drains itself and tries again this often. */
const RETRY_MS = 10_000
/** How long after a replica's exit the relay's status is taken to hold its last output. */
const SETTLE_MS = 50
/** Past this, a replica's last output is taken from its log file, whatever the relay said. */
const SETTLE_LIMIT_MS = 2_000
/** A replica starting while the relay starts waits this long for it, then starts anyway. */
const START_WAIT_MS = 5_000

export class OutputRelayLink {
  #mode: RelayMode = 'starting'
  #pid: number | undefined
  /** The relay's last answer, and when it was asked for. */
  #last: { askedAt: number; status: RelayStatus } | undefined
  /** Bytes dropped by relays before the current one (each counts from its own start), by log. */
  readonly #carried = new Map<string, number>()
  #starting: Promise<void> | undefined
  #polling = false
  /** A status asked for at or after this time is wanted: it holds the last words of replicas that exited. */
  #wantedFrom = 0
  #nextPollAt = 0
  #missed = 0
  #retryAt = 0
  #soon: NodeJS.Timeout | undefined
  #disposed = false
  readonly socketPath: string

  constructor(
    private readonly options: {
      stateDir: string
      note: (line: string) => void
      /** The mode changed: the supervisor drains FIFOs itself in `local` mode only. */
      onMode: (mode: RelayMode) => void
    },
  ) {
    this.socketPath = relaySocketPath(options.stateDir)
  }

  get mode(): RelayMode {
    return this.#mode
  }

  get pid(): number | undefined {
    return this.#pid
  }

  /** Adopts the relay that answers, or starts one; resolves once one answers or none could start. */
  start(): Promise<void> {
    this.#starting ??= this.#start().finally(() => (this.#starting = undefined))
    return this.#starting
  }

  async #start(): Promise<void> {
    this.#setMode('starting')
    let status = await this.#ask().catch(() => undefined)
    if (status !== undefined && status.protocol !== RELAY_PROTOCOL) {
      this.options.note(
        `relay (pid ${status.pid}) speaks protocol ${status.protocol}: replacing it`,
      )
      await this.#stop(status.pid)
      status = undefined
    }
    if (status === undefined) {
      const hello = await this.#spawn()
      if (this.#disposed) return
      if (hello.relaying) this.options.note(`output relay started (pid ${hello.pid})`)
      else if (!('pid' in hello))
        this.options.note(`output relay did not start: ${hello.reason}; draining here`)
      status = await this.#ask().catch(() => undefined)
    }
    if (this.#disposed) return
    if (status === undefined) {
      this.#retryAt = Date.now() + RETRY_MS
      this.#setMode('local')
      return
    }
    this.#took(status, Date.now())
  }

  /** The supervisor's timer: polls each second, restarts a relay that died, retries from `local`. */
  tick(now: number): void {
    if (this.#disposed || this.#starting !== undefined) return
    if (this.#mode === 'local') {
      if (now >= this.#retryAt) void this.start()
      return
    }
    if (!this.#polling && now >= this.#nextPollAt) void this.#poll()
  }

  /** A replica exited: its last output is wanted soon, so ask the relay a moment from now. */
  refreshSoon(): void {
    if (this.#disposed) return
    // Each exit counts: one moments after another needs a status asked for after it too.
    this.#wantedFrom = Math.max(this.#wantedFrom, Date.now() + SETTLE_MS)
    if (this.#soon === undefined) this.#refreshLater()
  }

  #refreshLater(): void {
    this.#soon = setTimeout(() => {
      this.#soon = undefined
      this.#refreshIfWanted()
    }, SETTLE_MS * 2)
    this.#soon.unref()
  }

  /**
   * Asks for the status an exit wants, unless one asked for late enough is in: a poll in flight
   * may have been asked before the exit, so it asks again when that one is answered.
   */
  #refreshIfWanted(): void {
    if (this.#disposed || this.#polling || this.#mode !== 'relay') return
    if ((this.#last?.askedAt ?? 0) >= this.#wantedFrom) return
    if (Date.now() < this.#wantedFrom) {
      if (this.#soon === undefined) this.#refreshLater()
      return
    }
    void this.#poll()
  }

  /**
   * A FIFO was made or removed: the relay looks now instead of at its next scan. Resolves with the
   * FIFOs it drains once it has looked (what waited in a removed one is in its log by then), or
   * undefined when no relay answers.
   */
  async poke(): Promise<string[] | undefined> {
    if (this.#disposed || this.#mode === 'local') return undefined
    return callRelay<RelayScan>(this.socketPath, 'POST', RELAY.scan, CALL_TIMEOUT_MS).then(
      (answer) => answer.fifos,
      () => undefined,
    )
  }

  /**
   * Before a replica starts: whether the relay drains its FIFO, so none of its output is missed. A
   * relay still starting is waited for, up to `waitMs`.
   */
  async drains(fifoPath: string, waitMs = START_WAIT_MS): Promise<boolean> {
    const starting = this.#starting
    if (starting !== undefined)
      await Promise.race([starting, new Promise((r) => setTimeout(r, waitMs).unref())])
    if (this.#mode !== 'relay') return false
    return (await this.poke())?.includes(fifoPath) ?? false
  }

  /**
   * Whether what the supervisor knows of a log's last lines includes a replica's output up to its
   * exit at `exitedAt`: the relay was asked since (or gave no answer for long enough to stop waiting).
   */
  settled(exitedAt: number, now = Date.now()): boolean {
    if (this.#mode === 'local' || now >= exitedAt + SETTLE_LIMIT_MS) return true
    return this.#mode === 'relay' && (this.#last?.askedAt ?? 0) >= exitedAt + SETTLE_MS
  }

  /** Bytes of a log's output dropped, over every relay that drained it. */
  droppedBytes(logPath: string): number {
    return (this.#carried.get(logPath) ?? 0) + (this.#entry(logPath)?.droppedBytes ?? 0)
  }

  /** Why the relay cannot write a log now (`ENOSPC`…), as it last said; undefined while it can. */
  dropReason(logPath: string): string | undefined {
    return this.#entry(logPath)?.dropReason
  }

  /**
   * The last lines of a log as the relay last said, or undefined when it cannot tell: no relay, or
   * its status is older than `exitedAt` (a replica's exit, whose last words it may not hold yet).
   */
  recentLines(logPath: string, n: number, exitedAt?: number): string[] | undefined {
    const last = this.#last
    if (this.#mode !== 'relay' || last === undefined) return undefined
    if (exitedAt !== undefined && last.askedAt < exitedAt + SETTLE_MS) return undefined
    return last.status.logs[logPath]?.recentLines.slice(-n)
  }

  /** A replica is gone for good: forget what was carried for its log. */
  forget(logPath: string): void {
    this.#carried.delete(logPath)
  }

  /** Stops asking; the relay goes on (the next supervisor adopts it). */
  dispose(): void {
    this.#disposed = true
    clearTimeout(this.#soon)
  }

  /** Stops the relay: it copies what waits in the FIFOs, then exits (killed if it does not). */
  async close(): Promise<void> {
    this.dispose()
    await this.#starting
    const pid = this.#pid ?? (await this.#ask().catch(() => undefined))?.pid
    if (pid !== undefined) await this.#stop(pid)
  }

  #entry(logPath: string): RelayLogStatus | undefined {
    return this.#last?.status.logs[logPath]
  }

  #setMode(mode: RelayMode): void {
    if (mode === this.#mode) return
    this.#mode = mode
    this.options.onMode(mode)
  }

  /** Takes an answer; a relay other than the last one counts its dropped bytes from zero. */
  #took(status: RelayStatus, askedAt: number): void {
    const before = this.#last?.status
    if (
      before !== undefined &&
      (before.pid !== status.pid || before.startedAt !== status.startedAt)
    )
      for (const [path, log] of Object.entries(before.logs))
        this.#carried.set(path, (this.#carried.get(path) ?? 0) + log.droppedBytes)
    this.#last = { askedAt, status }
    this.#pid = status.pid
    this.#missed = 0
    this.#setMode('relay')
  }

  async #poll(): Promise<void> {
    this.#polling = true
    const askedAt = Date.now()
    let answered = false
    try {
      const status = await this.#ask()
      answered = true
      if (!this.#disposed) this.#took(status, askedAt)
    } catch (err) {
      const pid = this.#pid
      if (pid === undefined || !isAlive(pid)) {
        if (!this.#disposed) {
          this.options.note(`output relay (pid ${pid ?? '?'}) is gone: starting another`)
          this.#pid = undefined
          void this.start()
        }
      } else if (!this.#disposed && ++this.#missed >= MAX_MISSED_POLLS) {
        this.options.note(
          `output relay (pid ${pid}) has not answered ${this.#missed} times (${(err as Error).message}): replacing it`,
        )
        killQuietly(pid, 'SIGKILL')
        this.#pid = undefined
        void this.start()
      }
    } finally {
      this.#polling = false
      this.#nextPollAt = Date.now() + POLL_MS
      // Not after a failure: the regular polls deal with a relay that does not answer.
      if (answered) this.#refreshIfWanted()
    }
  }

  #ask(): Promise<RelayStatus> {
    return callRelay<RelayStatus>(this.socketPath, 'GET', RELAY.status, CALL_TIMEOUT_MS)
  }

  /** Asks the relay `pid` to close, waits (bounded) until it is gone, and kills it if it is not. */
  async #stop(pid: number): Promise<void> {
    await callRelay(this.socketPath, 'POST', RELAY.close, CALL_TIMEOUT_MS).catch(() =>
      killQuietly(pid, 'SIGTERM'),
    )
    const deadline = Date.now() + 5_000
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    if (isAlive(pid)) killQuietly(pid, 'SIGKILL')
  }

  /** Starts a relay process and reads the line it prints: relaying, another relays, or why not. */
  async #spawn(): Promise<RelayHello> {
    const { stateDir } = this.options
    let logFd: number | 'ignore' = 'ignore'
    try {
      mkdirSync(dirname(relayLogPath(stateDir)), { recursive: true })
      logFd = openSync(relayLogPath(stateDir), 'a')
    } catch {
      // a full or read-only disk: the relay runs without its own log
    }
    let child
    try {
      child = spawn(
        process.execPath,
        [...entryArgs(import.meta.url, 'main'), ...relayArgs(stateDir)],
        {
          detached: true,
          stdio: ['ignore', 'pipe', logFd],
        },
      )
    } catch (err) {
      return { relaying: false, reason: (err as Error).message }
    } finally {
      if (logFd !== 'ignore') closeSync(logFd)
    }
    const answer = await readHello(child, HELLO_TIMEOUT_MS)
    const hello =
      'hello' in answer
        ? (answer.hello as RelayHello)
        : ({ relaying: false, reason: answer.failed } satisfies RelayHello)
    if (!hello.relaying && !('pid' in hello) && child.exitCode === null) child.kill('SIGKILL')
    return hello
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}
