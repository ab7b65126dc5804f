/**
 * The local daemon: one per state directory. It owns the SQLite store (and its lock), the process
 * supervisor, one controller (with its proxy) per rollout, and the REST API on 127.0.0.1 that the
 * CLI talks to. Started again after a crash, it re-adopts running replicas and resumes every rollout
 * from its stored status.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { systemClock, type Clock } from '../../controller/clock.js'
import { NotFoundError } from '../../errors.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { SourceFile } from '../../manifests/rollout-set.js'
import { KANARI_VERSION } from '../../version.js'
import { LoadtestRuns } from '../load/index.js'
import { StateStore, storageFailure, type StoredSpec, type WriteHealth } from '../store/index.js'
import { Supervisor } from '../supervisor/index.js'
import { FlagService } from '../flags/flag-service.js'
import type { AppliedRollout, RolloutView } from './api/schemas.js'
import { createApiServer } from './api/server.js'
import { LiveFeed } from './dashboard/live-feed.js'
import { DashboardSessions } from './dashboard/sessions.js'
import { applyManifests, type ApplyHost } from './apply.js'
import { DAEMON_LOG_CAP_BYTES, OwnLog } from '../own-log.js'
import { apiInfoPath, daemonLogPath, prepareStateDir, writeApiInfo, type ApiInfo } from './paths.js'
import { DaemonMetrics } from './daemon-metrics.js'
import { RolloutController } from './rollout-controller.js'
import { controllerConfig } from './stored-rollout.js'
import { describe, type ViewSources } from './views.js'

export interface DaemonOptions {
  stateDir: string
  /** API port on 127.0.0.1; 0 picks a free one. */
  apiPort?: number
  /** Engine tick interval. */
  tickMs?: number
  /** What rollouts read the time from and tick by: the system clock unless a test moves its own. */
  clock?: Clock
  log?: (line: string) => void
  /** Called after a shutdown requested through the API (`kanari down`) has stopped everything. */
  onStopped?: () => void
}

export class Daemon implements ApplyHost, ViewSources {
  readonly store: StateStore
  readonly supervisor: Supervisor
  /** Feature flags: watched files, API changes, the audit log, and what apps report per variant. */
  readonly flags: FlagService
  readonly controllers = new Map<string, RolloutController>()
  /** What the dashboard streams: every rollout's events and a sample of it each second. */
  readonly liveFeed: LiveFeed
  readonly dashboardSessions = new DashboardSessions()
  /** Load runs started by load-test webhooks and `POST /api/v1/loadtests`. */
  readonly loadtests = new LoadtestRuns()
  /** Kanari's own metrics, served at GET /metrics. */
  readonly metrics = new DaemonMetrics(() =>
    [...this.controllers.values()].map((c) => ({ name: c.name, status: c.status })),
  ).withProcessMetrics()
  readonly #token = randomBytes(24).toString('hex')
  #server: FastifyInstance | undefined
  #url = ''
  #stopping: Promise<void> | undefined
  readonly #log: (line: string) => void
  readonly #tickMs: number

  private constructor(readonly options: DaemonOptions) {
    prepareStateDir(options.stateDir)
    this.#log = options.log ?? logToStdout(options.stateDir)
    this.#tickMs = options.tickMs ?? 1000
    this.liveFeed = new LiveFeed(this, this.#log)
    this.store = StateStore.open(options.stateDir)
    this.supervisor = new Supervisor({
      stateDir: options.stateDir,
      store: this.store.replicas,
      host: '127.0.0.1',
      log: this.#log,
    })
    this.flags = new FlagService({ stateDir: options.stateDir, log: this.#log })
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options)
    try {
      await daemon.#start()
    } catch (err) {
      await daemon.stop({ keepReplicas: true }).catch(() => undefined)
      throw err
    }
    return daemon
  }

  get url(): string {
    return this.#url
  }

  get token(): string {
    return this.#token
  }

  async #start(): Promise<void> {
    await this.supervisor.adopt()
    this.supervisor.on('change', (key: string) => {
      for (const c of this.controllers.values()) c.replicaSetChanged(key)
    })
    for (const stored of this.store.rollouts.list()) {
      const { status } = stored
      await this.startController(stored.name, stored.spec, stored.revision, status)
      this.#log(`resumed rollout ${stored.name} at revision ${stored.revision} (${status.phase})`)
    }
    const server = await createApiServer({
      daemon: this,
      token: this.#token,
      apiInfoFile: apiInfoPath(this.options.stateDir),
      log: this.#log,
      dashboard: { feed: this.liveFeed, sessions: this.dashboardSessions },
    })
    this.#server = server
    this.liveFeed.start()
    await server.listen({ port: this.options.apiPort ?? 0, host: '127.0.0.1' })
    this.#url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`
    this.#writeApiInfo({
      url: this.#url,
      token: this.#token,
      pid: process.pid,
      startedAt: Date.now(),
      version: KANARI_VERSION,
    })
    this.#log(
      `kanari daemon ${KANARI_VERSION} serving ${this.#url} (state ${this.options.stateDir})`,
    )
    const health = this.store.writeHealth()
    if (health.problem !== null) this.#log(`state cannot be saved: ${health.problem}`)
  }

  /** Clients find the daemon by this file: on a full disk the store's reserve makes room for it. */
  #writeApiInfo(info: ApiInfo): void {
    try {
      writeApiInfo(this.options.stateDir, info)
    } catch (err) {
      if (storageFailure(err) === undefined || !this.store.giveBackReserve()) throw err
      writeApiInfo(this.options.stateDir, info)
    }
  }

  /** Whether the daemon can save state, and if not why: shown by `kanari get` and `kanari up`. */
  writeHealth(): WriteHealth {
    return this.store.writeHealth()
  }

  async startController(
    name: string,
    spec: StoredSpec,
    revision: number,
    status: RolloutStatus,
  ): Promise<void> {
    const controller = new RolloutController(
      {
        store: this.store,
        supervisor: this.supervisor,
        stateDir: this.options.stateDir,
        log: this.#log,
        clock: this.options.clock ?? systemClock,
        flags: this.flags,
        sinks: [this.liveFeed],
        loadtests: this.loadtests,
        observeTick: (rollout, before, report, seconds) =>
          this.metrics.observeTick(rollout, before, report.status, report.events, seconds),
      },
      { ...controllerConfig(this.store, name, spec, revision), status },
    )
    this.controllers.set(name, controller)
    try {
      await controller.start(this.#tickMs)
    } catch (err) {
      await controller.stop(0, true)
      this.controllers.delete(name)
      throw err
    }
  }

  /** The controller of `name`; a NotFoundError that lists the known rollouts if there is none. */
  controller(name: string): RolloutController {
    const c = this.controllers.get(name)
    if (c === undefined) {
      const known = [...this.controllers.keys()]
      throw new NotFoundError(`rollout ${name} not found`, {
        hint:
          known.length === 0
            ? 'apply one with `kanari apply -f rollout.yaml`'
            : `known rollouts: ${known.join(', ')}`,
      })
    }
    return c
  }

  /** Applies Rollouts (and their AnalysisTemplates): a changed workload makes a new revision. */
  apply(files: SourceFile[], baseDir: string): Promise<AppliedRollout[]> {
    return applyManifests(this, files, baseDir)
  }

  describe(name: string, eventLimit = 200): RolloutView {
    return describe(this, name, eventLimit)
  }

  /** Stops a rollout's controller and proxy, removes its replicas, and forgets it. */
  async deleteRollout(name: string): Promise<void> {
    const c = this.controller(name)
    await c.stop(2000)
    await this.loadtests.stop(`${name}.${c.plan.namespace}`)
    this.controllers.delete(name)
    for (const set of this.supervisor.list())
      if (set.key.startsWith(`${name}@`)) await this.supervisor.remove(set.key)
    this.store.deleteRollout(name)
  }

  /** Stops the API and every proxy (draining in-flight requests), then the replicas unless kept. */
  stop(options: { keepReplicas: boolean; drainMs?: number }): Promise<void> {
    this.#stopping ??= (async () => {
      // Kept replicas keep their proxies too: users go on being served until a daemon adopts them.
      await Promise.all(
        [...this.controllers.values()].map((c) =>
          c.stop(options.drainMs ?? 5000, options.keepReplicas),
        ),
      )
      this.liveFeed.stop()
      await this.#server?.close()
      await this.loadtests.stop()
      await this.supervisor.shutdown({ keepRunning: options.keepReplicas })
      this.flags.close()
      rmSync(apiInfoPath(this.options.stateDir), { force: true })
      this.store.close()
      this.#log('kanari daemon stopped')
    })()
    return this.#stopping
  }
}

/**
 * The daemon's own log lines, to stdout: `daemon.log` when started by `kanari up`, kept under its cap
 * (see own-log.ts). On a full disk the line is lost, never thrown: a log line is not worth the daemon.
 */
function logToStdout(stateDir: string): (line: string) => void {
  const log = new OwnLog(1, daemonLogPath(stateDir), DAEMON_LOG_CAP_BYTES)
  return (line) => log.write(`${new Date().toISOString()} ${line}`)
}
