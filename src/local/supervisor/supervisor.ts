/**
 * The supervisor: holds each replica set's desired state and, on a short timer, restarts crashed
 * replicas, notices adopted ones exiting, probes readiness, and keeps the state directory's output
 * relay running. Emits 'change' with the set's key.
 */
import { EventEmitter } from 'node:events'
import { closeSync } from 'node:fs'
import { isAlive } from '../process-alive.js'
import { freePort } from '../free-port.js'
import { adoptedReplica, isAdoptable } from './adoption.js'
import { terminate } from './process-group.js'
import { OutputRelayLink, type RelayMode } from './output-relay/relay-link.js'
import { applyProbeResult, firstProbeAt, probePeriodMs, probeReadiness } from './readiness-probe.js'
import {
  exitLatch,
  newReplica,
  replicaRecord,
  replicaStatus,
  type OutputPlace,
  type Replica,
  type ReplicaSet,
} from './replica.js'
import { leftLogs, logWindows, tailLogs, type LogWindow } from './replica-logs.js'
import { replicaProblem, setProblem, spawnProblem } from './replica-problems.js'
import type { ReplicaPersistence, ReplicaRecord } from '../replica-record.js'
import { isCrashLooping, scheduleRestart } from './restart-backoff.js'
import { spawnReplica } from './spawn-replica.js'
import type { ReplicaSetSpec, ReplicaSetStatus } from './types.js'

export class Supervisor extends EventEmitter {
  readonly #sets = new Map<string, ReplicaSet>()
  readonly #host: string
  readonly #timer: NodeJS.Timeout
  #shuttingDown = false
  /** Replica records not saved yet (undefined: to delete), retried until the store takes them. */
  readonly #unsaved = new Map<string, ReplicaRecord | undefined>()
  #lastSaveAttempt = 0
  #saveFailing = false
  readonly #relay: OutputRelayLink
  readonly #outputs: OutputPlace

  constructor(
    private readonly options: {
      stateDir: string
      store?: ReplicaPersistence
      host?: string
      log?: (line: string) => void
    },
  ) {
    super()
    this.#host = options.host ?? '127.0.0.1'
    const log = (line: string): void => this.#log(line)
    this.#relay = new OutputRelayLink({
      stateDir: options.stateDir,
      note: log,
      onMode: (mode) => this.#relayMode(mode),
    })
    this.#outputs = { stateDir: options.stateDir, relay: this.#relay, log }
    void this.#relay.start()
    this.#timer = setInterval(() => this.#housekeep(), 200)
  }

  /** The output relay's pid, once one answers. */
  get relayPid(): number | undefined {
    return this.#relay.pid
  }

  /** Without a relay the FIFOs are drained here, in the daemon; with one, only there. */
  #relayMode(mode: RelayMode): void {
    for (const set of this.#sets.values())
      for (const r of set.replicas.values()) {
        if (mode === 'local') r.output.drainHere()
        else r.output.stopDrainingHere()
      }
  }

  #log(line: string): void {
    this.options.log?.(`supervisor: ${line}`)
  }

  /**
   * Saves (or with undefined, deletes) a replica's record. A store that cannot write now (a full
   * disk) costs nothing but the record's delay: it is retried on the housekeeping timer, and until
   * then a daemon killed meanwhile would not re-adopt that replica.
   */
  #record(id: string, rec: ReplicaRecord | undefined): void {
    if (this.options.store === undefined) return
    this.#unsaved.delete(id)
    this.#unsaved.set(id, rec)
    this.#saveRecords()
  }

  #saveRecords(): void {
    const store = this.options.store
    if (store === undefined) return
    this.#lastSaveAttempt = Date.now()
    for (const [id, rec] of this.#unsaved) {
      try {
        if (rec === undefined) store.delete(id)
        else store.put(rec)
        this.#unsaved.delete(id)
      } catch (err) {
        if (!this.#saveFailing)
          this.#log(`cannot save replica records (retrying): ${(err as Error).message}`)
        this.#saveFailing = true
        return
      }
    }
    if (this.#saveFailing) this.#log('replica records saved again')
    this.#saveFailing = false
  }

  #set(key: string): ReplicaSet {
    let set = this.#sets.get(key)
    if (set === undefined) {
      set = { spec: undefined, replicas: new Map() }
      this.#sets.set(key, set)
    }
    return set
  }

  /** Creates or scales a replica set (scale-down removes the highest indexes first). */
  apply(spec: ReplicaSetSpec): void {
    const set = this.#set(spec.key)
    set.spec = spec
    for (let i = 0; i < spec.replicas; i++) if (!set.replicas.has(i)) this.#start(set, spec, i, 0)
    for (const [index, r] of [...set.replicas].sort((a, b) => b[0] - a[0])) {
      if (index >= spec.replicas && r.state !== 'stopping') this.#stop(set, r)
    }
  }

  #start(
    set: ReplicaSet,
    spec: ReplicaSetSpec,
    index: number,
    restarts: number,
    previous?: Replica,
  ): void {
    const r = previous ?? newReplica(this.#outputs, spec.key, index, restarts)
    set.replicas.set(index, r)
    r.state = 'starting'
    r.startedAt = Date.now()
    void freePort(this.#host).then(
      async (port) => {
        // Someone drains its output before it writes any.
        await r.output
          .prepare()
          .catch((err: unknown) => this.#log(`preparing the output of ${r.id}: ${String(err)}`))
        this.#spawn(set, spec, r, port)
      },
      (err: unknown) => this.#log(`no free port for ${r.id}: ${String(err)}`),
    )
  }

  #spawn(set: ReplicaSet, spec: ReplicaSetSpec, r: Replica, port: number): void {
    // Finding a port and preparing the output are asynchronous: the replica may have been replaced
    // or stopped meanwhile.
    if (set.replicas.get(r.index) !== r || r.state === 'stopping' || this.#shuttingDown) return
    const output = r.output.openForProcess()
    let child
    try {
      child = spawnReplica(spec, r, port, output)
    } catch (err) {
      // Most spawn failures arrive as an 'error' event; the rest are thrown here. Either way the
      // replica is restarted with backoff, never the daemon taken down.
      this.#couldNotStart(set, spec, r, err as NodeJS.ErrnoException)
      return
    } finally {
      // The child holds its own copy of the descriptor.
      if (output !== 'ignore') closeSync(output)
    }
    const now = Date.now()
    r.child = child
    r.port = port
    r.pid = child.pid ?? null
    r.adopted = false
    r.probeFailures = 0
    r.nextProbeAt = firstProbeAt(spec.readiness, now)
    r.spawnedAt = now
    r.notReadySince = now
    r.wasReady = false
    r.lastProbeFailure = undefined
    r.spawnProblem = undefined
    Object.assign(r, exitLatch())
    child.on('error', (err) => this.#couldNotStart(set, spec, r, err))
    child.on('exit', (code, signal) => this.#exited(set, r, code, signal))
    if (r.pid !== null) this.#record(r.id, replicaRecord(r, r.pid))
  }

  #couldNotStart(
    set: ReplicaSet,
    spec: ReplicaSetSpec,
    r: Replica,
    err: NodeJS.ErrnoException,
  ): void {
    r.spawnProblem = spawnProblem(err, spec)
    this.#log(`${r.id} could not start "${spec.command.join(' ')}": ${err.message}`)
    this.#exited(set, r, null, null)
  }

  #exited(set: ReplicaSet, r: Replica, code: number | null, signal: string | null): void {
    if (r.state === 'crashed' || r.state === 'backoff') return
    const now = Date.now()
    const wasStopping = r.state === 'stopping'
    r.lastExit = { code, signal, at: now }
    r.child = undefined
    r.pid = null
    r.markExited()
    // Its last words are wanted for the problem report: have the relay's status soon.
    this.#relay.refreshSoon()
    if (wasStopping || this.#shuttingDown) {
      this.#record(r.id, undefined)
      if (set.replicas.get(r.index) === r) set.replicas.delete(r.index)
      r.output.close()
      this.emit('change', r.key)
      return
    }
    // An adopted replica's start is not ours to judge; a spawn failure has its own problem.
    r.startFailure =
      !r.wasReady && !r.adopted && r.spawnProblem === undefined
        ? { afterMs: now - r.spawnedAt }
        : undefined
    scheduleRestart(r, now)
    this.#log(
      `${r.id} exited (code ${code ?? '—'}, signal ${signal ?? '—'}); restart ${r.restarts} in ${r.restartAt - now} ms`,
    )
    this.emit('change', r.key)
  }

  #stop(set: ReplicaSet, r: Replica): void {
    const wasReady = r.state === 'ready'
    r.state = 'stopping'
    if (wasReady) this.emit('change', r.key)
    const pid = r.pid
    if (pid === null) {
      this.#record(r.id, undefined)
      set.replicas.delete(r.index)
      r.output.close()
      r.markExited()
      return
    }
    terminate(r, pid)
  }

  /** Stops every replica of a set and forgets it. */
  async remove(key: string): Promise<void> {
    const set = this.#sets.get(key)
    if (set === undefined) return
    set.spec = set.spec === undefined ? undefined : { ...set.spec, replicas: 0 }
    const waits: Promise<void>[] = []
    for (const r of set.replicas.values()) {
      waits.push(r.exited)
      if (r.state !== 'stopping') this.#stop(set, r)
    }
    await Promise.all(waits)
    if (set.replicas.size === 0) this.#sets.delete(key)
  }

  status(key: string): ReplicaSetStatus | undefined {
    const set = this.#sets.get(key)
    if (set === undefined) return undefined
    const replicas = [...set.replicas.values()].sort((a, b) => a.index - b.index)
    const now = Date.now()
    const ready = replicas.filter((r) => r.state === 'ready')
    const problems = replicas.map((r) => {
      // Until its last output has come through, a replica that exited keeps the problem it had: a
      // report is made once per problem, and should quote what it wrote last.
      if (r.lastExit !== undefined && !r.output.settled(r.lastExit.at)) return r.problem
      r.problem = replicaProblem(r, set.spec, this.#host, now)
      return r.problem
    })
    const problem = setProblem(problems)
    const logDropReason = replicas.map((r) => r.output.dropReason).find((r) => r !== undefined)
    return {
      key,
      desired: set.spec?.replicas ?? replicas.length,
      ready: ready.length,
      replicas: replicas.map((r, i) => replicaStatus(r, problems[i])),
      endpoints: ready.map((r) => ({ host: this.#host, port: r.port })),
      crashLooping: replicas.some((r) => isCrashLooping(r, now)),
      restarts: replicas.reduce((n, r) => n + r.restarts, 0),
      droppedLogBytes: replicas.reduce((n, r) => n + r.output.droppedBytes, 0),
      ...(logDropReason === undefined ? {} : { logDropReason }),
      ...(problem === undefined ? {} : { problem }),
    }
  }

  list(): ReplicaSetStatus[] {
    return [...this.#sets.keys()].flatMap((k) => this.status(k) ?? [])
  }

  /**
   * Recent log lines of a set's replicas (stdout and stderr), each prefixed with the replica index;
   * for a set that no longer runs (a failed canary scaled down), what its replicas left behind.
   */
  logs(key: string, options: { lines?: number; replica?: number } = {}): string[] {
    const set = this.#sets.get(key)
    if (set === undefined || set.replicas.size === 0)
      return tailLogs(leftLogs(this.options.stateDir, key), options)
    return tailLogs(set.replicas.values(), options)
  }

  /**
   * Each replica's log lines written in [fromMs, toMs) and before it, from its files (whether the set
   * still runs or not): what a diagnosis compares between two revisions.
   */
  logWindows(key: string, fromMs: number, toMs: number, maxBytes: number): LogWindow[] {
    return logWindows(leftLogs(this.options.stateDir, key), fromMs, toMs, maxBytes)
  }

  /**
   * On daemon start: re-adopt the replicas a previous daemon recorded that are still running and
   * still ours; forget the rest. The daemon's `apply` then finds them in place.
   */
  async adopt(): Promise<void> {
    // The relay first: adopted replicas' output goes on through it, or is drained here without one.
    await this.#relay.start()
    const store = this.options.store
    if (store === undefined) return
    for (const rec of store.list()) {
      if (!isAdoptable(rec)) {
        this.#record(rec.id, undefined)
        continue
      }
      this.#set(rec.key).replicas.set(rec.index, adoptedReplica(this.#outputs, rec))
      this.#log(`re-adopted ${rec.id} (pid ${rec.pid}, port ${rec.port})`)
    }
  }

  #housekeep(): void {
    const now = Date.now()
    this.#relay.tick(now)
    if (this.#unsaved.size > 0 && now - this.#lastSaveAttempt >= 1000) this.#saveRecords()
    for (const [key, set] of this.#sets) {
      for (const r of set.replicas.values()) {
        if (
          r.state === 'backoff' &&
          now >= r.restartAt &&
          set.spec !== undefined &&
          r.index < set.spec.replicas
        ) {
          this.#start(set, set.spec, r.index, r.restarts, r)
          continue
        }
        // An adopted replica is not our child: its exit is seen by polling.
        if (r.adopted && r.pid !== null && !isAlive(r.pid)) {
          this.#exited(set, r, null, null)
          continue
        }
        if (
          r.pid === null ||
          r.state === 'stopping' ||
          r.state === 'backoff' ||
          now < r.nextProbeAt
        )
          continue
        const probe = set.spec?.readiness
        r.nextProbeAt = now + probePeriodMs(r, probe)
        void probeReadiness(this.#host, r.port, probe).then((result) => {
          if (applyProbeResult(r, result, Date.now())) this.emit('change', key)
        })
      }
    }
  }

  /**
   * Stops every replica (SIGTERM, then SIGKILL after a grace period) and then the output relay, which
   * has nothing left to serve — or, with keepRunning, leaves both for the next daemon.
   */
  async shutdown(options: { keepRunning?: boolean } = {}): Promise<void> {
    if (options.keepRunning === true) {
      clearInterval(this.#timer)
      this.#relay.dispose()
      for (const set of this.#sets.values())
        for (const r of set.replicas.values()) {
          r.child?.unref()
          // The relay goes on draining their output; without one, the next daemon does.
          r.output.detach()
        }
      return
    }
    this.#shuttingDown = true
    // The timer runs on until they are gone: an adopted replica's exit is seen only by polling.
    await Promise.all([...this.#sets.keys()].map((k) => this.remove(k)))
    clearInterval(this.#timer)
    this.#saveRecords()
    if (this.#sets.size === 0) await this.#relay.close()
    else this.#relay.dispose()
  }
}
