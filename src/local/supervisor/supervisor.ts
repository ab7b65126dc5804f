/**
 * Runs each revision's replicas as child processes: a free port injected as PORT, readiness probes,
 * restarts with exponential backoff, crash-loop detection, and logs in files under the state
 * directory. Replicas run in their own process groups and are recorded in the store, so a daemon
 * killed with -9 leaves them serving and the next daemon re-adopts them.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { closeSync, mkdirSync, openSync, readFileSync, statSync, truncateSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { isAlive } from '../daemon/paths.js'
import { freePort } from '../free-port.js'
import type { ReplicaRecord } from '../store/state-store.js'

export interface ReadinessProbe {
  httpGet: string
  periodSeconds?: number
  timeoutSeconds?: number
  initialDelaySeconds?: number
}

export interface ReplicaSetSpec {
  key: string
  command: string[]
  cwd: string
  env: Record<string, string>
  replicas: number
  readiness?: ReadinessProbe
}

export type ReplicaState = 'starting' | 'ready' | 'unready' | 'crashed' | 'backoff' | 'stopping'

export interface ReplicaStatus {
  id: string
  key: string
  index: number
  pid: number | null
  port: number
  state: ReplicaState
  restarts: number
  startedAt: number
  adopted: boolean
  lastExit?: { code: number | null; signal: string | null; at: number }
}

export interface ReplicaSetStatus {
  key: string
  desired: number
  ready: number
  replicas: ReplicaStatus[]
  endpoints: { host: string; port: number }[]
  crashLooping: boolean
  restarts: number
}

export interface ReplicaPersistence {
  putReplica(rec: ReplicaRecord): void
  deleteReplica(id: string): void
  listReplicas(): ReplicaRecord[]
}

interface Replica extends ReplicaStatus {
  child: ChildProcess | undefined
  logPath: string
  exits: number[]
  probeFailures: number
  nextProbeAt: number
  restartAt: number
  consecutiveCrashes: number
  exited: Promise<void>
  markExited: () => void
}

interface ReplicaSet {
  spec: ReplicaSetSpec | undefined
  replicas: Map<number, Replica>
}

const CRASH_WINDOW_MS = 60_000
const CRASH_LOOP_EXITS = 3
const MAX_BACKOFF_MS = 30_000
const STOP_GRACE_MS = 5_000
const LOG_CAP_BYTES = 4 * 1024 * 1024

/** Whether `pid` is a replica we started: its environment carries our replica id. */
function isOurs(pid: number, id: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .includes(`KANARI_REPLICA_ID=${id}`)
  } catch {
    return false
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}

export class Supervisor extends EventEmitter {
  readonly #sets = new Map<string, ReplicaSet>()
  readonly #host: string
  readonly #timer: NodeJS.Timeout
  #shuttingDown = false

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
    this.#timer = setInterval(() => this.#housekeep(), 200)
  }

  #log(line: string): void {
    this.options.log?.(`supervisor: ${line}`)
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

  #newReplica(spec: ReplicaSetSpec, index: number, restarts: number): Replica {
    let markExited: () => void = () => undefined
    const exited = new Promise<void>((resolve) => (markExited = resolve))
    const logDir = join(this.options.stateDir, 'logs', spec.key.replace(/[^a-zA-Z0-9@._-]/g, '_'))
    mkdirSync(logDir, { recursive: true })
    return {
      id: `${spec.key}#${index}`,
      key: spec.key,
      index,
      pid: null,
      port: 0,
      state: 'starting',
      restarts,
      startedAt: Date.now(),
      adopted: false,
      child: undefined,
      logPath: join(logDir, `${index}.log`),
      exits: [],
      probeFailures: 0,
      nextProbeAt: 0,
      restartAt: 0,
      consecutiveCrashes: 0,
      exited,
      markExited,
    }
  }

  #start(
    set: ReplicaSet,
    spec: ReplicaSetSpec,
    index: number,
    restarts: number,
    previous?: Replica,
  ): void {
    const r = previous ?? this.#newReplica(spec, index, restarts)
    set.replicas.set(index, r)
    r.state = 'starting'
    r.startedAt = Date.now()
    void freePort(this.#host).then(
      (port) => this.#spawn(set, spec, r, port),
      (err: unknown) => this.#log(`no free port for ${r.id}: ${String(err)}`),
    )
  }

  #spawn(set: ReplicaSet, spec: ReplicaSetSpec, r: Replica, port: number): void {
    if (set.replicas.get(r.index) !== r || r.state === 'stopping' || this.#shuttingDown) return
    this.#capLog(r.logPath)
    const fd = openSync(r.logPath, 'a')
    const [cmd, ...args] = spec.command
    let child: ChildProcess
    try {
      child = spawn(cmd ?? 'false', args, {
        cwd: spec.cwd,
        env: {
          ...process.env,
          ...spec.env,
          PORT: String(port),
          KANARI_REPLICA_ID: r.id,
          KANARI_REVISION_KEY: spec.key,
        },
        detached: true,
        stdio: ['ignore', fd, fd],
      })
    } finally {
      closeSync(fd)
    }
    r.child = child
    r.port = port
    r.pid = child.pid ?? null
    r.adopted = false
    r.probeFailures = 0
    r.nextProbeAt = Date.now() + (spec.readiness?.initialDelaySeconds ?? 0) * 1000
    let markExited: () => void = () => undefined
    r.exited = new Promise<void>((resolve) => (markExited = resolve))
    r.markExited = markExited
    child.on('error', (err) => {
      this.#log(`${r.id} could not start "${spec.command.join(' ')}": ${err.message}`)
      this.#exited(set, r, null, null)
    })
    child.on('exit', (code, signal) => this.#exited(set, r, code, signal))
    if (r.pid !== null) {
      this.options.store?.putReplica({
        id: r.id,
        key: r.key,
        index: r.index,
        pid: r.pid,
        port,
        startedAt: r.startedAt,
        logPath: r.logPath,
      })
    }
  }

  #exited(set: ReplicaSet, r: Replica, code: number | null, signal: string | null): void {
    if (r.state === 'crashed' || r.state === 'backoff') return
    const now = Date.now()
    const wasStopping = r.state === 'stopping'
    r.lastExit = { code, signal, at: now }
    r.child = undefined
    r.pid = null
    r.markExited()
    if (wasStopping || this.#shuttingDown) {
      this.options.store?.deleteReplica(r.id)
      if (set.replicas.get(r.index) === r) set.replicas.delete(r.index)
      this.emit('change', r.key)
      return
    }
    // A crash: restart with backoff (reset after a minute of uptime).
    if (now - r.startedAt > CRASH_WINDOW_MS) r.consecutiveCrashes = 0
    r.consecutiveCrashes++
    r.exits = [...r.exits.filter((t) => now - t < CRASH_WINDOW_MS), now]
    r.restarts++
    r.state = 'backoff'
    r.restartAt = now + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (r.consecutiveCrashes - 1))
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
      this.options.store?.deleteReplica(r.id)
      set.replicas.delete(r.index)
      r.markExited()
      return
    }
    killGroup(pid, 'SIGTERM')
    const force = setTimeout(() => {
      if (r.pid !== null) killGroup(r.pid, 'SIGKILL')
    }, STOP_GRACE_MS)
    force.unref()
    void r.exited.then(() => clearTimeout(force))
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
    return {
      key,
      desired: set.spec?.replicas ?? replicas.length,
      ready: ready.length,
      replicas: replicas.map((r) => {
        const s: ReplicaStatus = {
          id: r.id,
          key: r.key,
          index: r.index,
          pid: r.pid,
          port: r.port,
          state: r.state,
          restarts: r.restarts,
          startedAt: r.startedAt,
          adopted: r.adopted,
        }
        if (r.lastExit !== undefined) s.lastExit = r.lastExit
        return s
      }),
      endpoints: ready.map((r) => ({ host: this.#host, port: r.port })),
      crashLooping: replicas.some(
        (r) =>
          r.exits.filter((t) => now - t < CRASH_WINDOW_MS).length >= CRASH_LOOP_EXITS ||
          (r.state === 'backoff' && r.restarts >= CRASH_LOOP_EXITS),
      ),
      restarts: replicas.reduce((n, r) => n + r.restarts, 0),
    }
  }

  list(): ReplicaSetStatus[] {
    return [...this.#sets.keys()].flatMap((k) => this.status(k) ?? [])
  }

  /** Recent log lines of a set's replicas (stdout and stderr), each prefixed with the replica index. */
  logs(key: string, options: { lines?: number; replica?: number } = {}): string[] {
    const set = this.#sets.get(key)
    if (set === undefined) return []
    const want = options.lines ?? 100
    const out: string[] = []
    for (const r of [...set.replicas.values()].sort((a, b) => a.index - b.index)) {
      if (options.replica !== undefined && r.index !== options.replica) continue
      try {
        const lines = readFileSync(r.logPath, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
        out.push(...lines.slice(-want).map((l) => `[${r.index}] ${l}`))
      } catch {
        // no log yet
      }
    }
    return out.slice(-want)
  }

  /**
   * On daemon start: re-adopt the replicas a previous daemon recorded that are still running and
   * still ours; forget the rest. The daemon's `apply` then finds them in place.
   */
  adopt(): Promise<void> {
    const store = this.options.store
    if (store === undefined) return Promise.resolve()
    for (const rec of store.listReplicas()) {
      if (!isAlive(rec.pid) || !isOurs(rec.pid, rec.id)) {
        store.deleteReplica(rec.id)
        continue
      }
      const set = this.#set(rec.key)
      const r = this.#newReplica(
        { key: rec.key, command: [], cwd: '.', env: {}, replicas: 0 },
        rec.index,
        0,
      )
      Object.assign(r, {
        pid: rec.pid,
        port: rec.port,
        startedAt: rec.startedAt,
        adopted: true,
        state: 'starting',
        logPath: rec.logPath,
      })
      set.replicas.set(rec.index, r)
      this.#log(`re-adopted ${rec.id} (pid ${rec.pid}, port ${rec.port})`)
    }
    return Promise.resolve()
  }

  #housekeep(): void {
    const now = Date.now()
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
        const period = r.state === 'ready' ? (probe?.periodSeconds ?? 1) * 1000 : 250
        r.nextProbeAt = now + period
        void this.#probe(r, probe).then((ok) => {
          if (r.state === 'stopping' || r.state === 'backoff' || r.pid === null) return
          if (ok) {
            r.probeFailures = 0
            if (r.state !== 'ready') {
              r.state = 'ready'
              this.emit('change', key)
            }
          } else if (r.state === 'ready' && ++r.probeFailures >= 3) {
            r.state = 'unready'
            this.emit('change', key)
          }
        })
      }
    }
  }

  #probe(r: Replica, probe: ReadinessProbe | undefined): Promise<boolean> {
    const timeout = (probe?.timeoutSeconds ?? 1) * 1000
    return new Promise((resolve) => {
      if (probe === undefined) {
        const sock = connect(r.port, this.#host)
        sock.setTimeout(timeout, () => sock.destroy())
        sock.once('connect', () => {
          sock.destroy()
          resolve(true)
        })
        sock.once('error', () => resolve(false))
        sock.once('close', () => resolve(false))
        return
      }
      const req = request(
        {
          host: this.#host,
          port: r.port,
          path: probe.httpGet,
          method: 'GET',
          timeout,
          agent: false,
        },
        (res) => {
          res.resume()
          resolve((res.statusCode ?? 500) < 400)
        },
      )
      req.once('timeout', () => req.destroy())
      req.once('error', () => resolve(false))
      req.end()
    })
  }

  #capLog(path: string): void {
    try {
      if (statSync(path).size > LOG_CAP_BYTES) truncateSync(path, 0)
    } catch {
      // no file yet
    }
  }

  /** Stops every replica (SIGTERM, then SIGKILL after a grace period) — or, with keepRunning, leaves them for the next daemon. */
  async shutdown(options: { keepRunning?: boolean } = {}): Promise<void> {
    clearInterval(this.#timer)
    if (options.keepRunning === true) {
      for (const set of this.#sets.values()) for (const r of set.replicas.values()) r.child?.unref()
      return
    }
    this.#shuttingDown = true
    await Promise.all([...this.#sets.keys()].map((k) => this.remove(k)))
  }
}
