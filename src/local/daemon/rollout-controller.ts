/**
 * One rollout in local mode: the shared runner wired to local ports (local-runner.ts) — replicas
 * through the supervisor, traffic through the rollout's own proxy process (rollout-proxy.ts), or a
 * flag's split (release-ports.ts) — and the timer that ticks it, set on the daemon's clock. The proxy
 * process outlives the daemon; a restarted daemon adopts it.
 */
import type { RolloutCommand } from '../../engine/commands.js'
import type { RolloutPlan } from '../../engine/plan.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { Clock, ClockTimer } from '../../controller/clock.js'
import type { EventSink } from '../../controller/ports.js'
import type { RolloutRunner, TickReport } from '../../controller/runner.js'
import type { Notifier, NotificationStats } from '../../notify/index.js'
import { Diagnoser } from '../diagnosis/diagnoser.js'
import type { FlagService } from '../flags/flag-service.js'
import type { LoadtestRuns } from '../load/loadtest-runs.js'
import { ProcessWorkloads, replicaSetKey } from '../driver/process-workloads.js'
import type { TrafficReader } from '../metrics/traffic-reader.js'
import type { StateStore } from '../store/index.js'
import type { Supervisor } from '../supervisor/index.js'
import type { ProcessTemplate } from './rollout-document.js'
import { localRunner } from './local-runner.js'
import { flagReleasePorts, processReleasePorts } from './release-ports.js'
import { rolloutNotifier } from './rollout-notifier.js'
import { RolloutProxy } from './rollout-proxy.js'

export { replicaSetKey }

export interface ControllerDeps {
  store: StateStore
  supervisor: Supervisor
  /** Where proxy sockets and logs go. */
  stateDir: string
  log: (line: string) => void
  /** What the rollout's time is read from and its ticks are timed by. */
  clock: Clock
  /** The daemon's flags, which a flag rollout moves. */
  flags: FlagService
  /** More sinks for the runner's events, after the daemon log (the dashboard's live feed). */
  sinks?: EventSink[]
  /** Load runs that load-test webhooks start. */
  loadtests: LoadtestRuns
  /** Told of every tick: the status before, what the tick did, and how long it took. */
  observeTick?: (
    rollout: string,
    before: RolloutStatus,
    report: TickReport,
    seconds: number,
  ) => void
}

export interface ControllerConfig {
  name: string
  plan: RolloutPlan
  status: RolloutStatus
  servicePort: number
  sticky?: { cookie?: string; header?: string }
  /** Workload template of every revision this rollout has had. */
  templates: Map<number, ProcessTemplate>
  /** A flag rollout: its flag, and the variant each revision releases (no processes, no proxy). */
  flag?: { key: string; variants: Map<number, string> }
  /** The directory the manifest was applied from: relative paths in it start here. */
  baseDir: string
}

export class RolloutController {
  #config: Omit<ControllerConfig, 'status' | 'plan'>
  readonly #runner: RolloutRunner
  readonly #workloads: ProcessWorkloads
  readonly #notifier: Notifier
  /** The proxy process and its router (unused by a flag rollout). */
  readonly #proxy: RolloutProxy
  #timer: ClockTimer | undefined
  /** Scheduled ticks not yet finished, with the work around them (see `settled`). */
  readonly #scheduled = new Set<Promise<void>>()
  #stopped = false
  /** Evidence reports of this rollout's releases, and the advisor's review (docs/diagnosis.md). */
  readonly diagnoser: Diagnoser
  /** The status after the last tick reported to `observeTick`. */
  #observed: RolloutStatus

  constructor(
    private readonly deps: ControllerDeps,
    config: ControllerConfig,
  ) {
    const { status, plan, ...rest } = config
    this.#config = rest
    this.#proxy = new RolloutProxy({
      name: config.name,
      store: deps.store,
      stateDir: deps.stateDir,
      log: deps.log,
      routerOptions: () => ({
        endpoints: (revision) => this.#workloads.endpoints(revision),
        ...(this.#config.sticky === undefined ? {} : { sticky: this.#config.sticky }),
      }),
    })
    this.diagnoser = new Diagnoser({
      name: config.name,
      store: deps.store,
      supervisor: deps.supervisor,
      status: () => this.#runner.status,
      proxy: () => this.#proxy.host,
      log: deps.log,
      now: () => deps.clock.now(),
    })
    this.#observed = status
    this.#workloads = new ProcessWorkloads(
      deps.supervisor,
      config.name,
      () => this.#config.templates,
      deps.log,
    )
    this.#notifier = rolloutNotifier({
      name: config.name,
      store: deps.store,
      log: deps.log,
      notifications: () => this.#runner.plan.notifications,
      baseDir: () => this.#config.baseDir,
    })
    const release =
      config.flag === undefined
        ? processReleasePorts(this.#workloads, this.#proxy)
        : flagReleasePorts(
            deps.flags,
            config.flag.key,
            (revision) =>
              revision === null ? undefined : this.#config.flag?.variants.get(revision),
            config.name,
          )
    this.#runner = localRunner({
      name: config.name,
      plan,
      status,
      release,
      store: deps.store,
      log: deps.log,
      sinks: [this.#notifier, this.diagnoser, ...(deps.sinks ?? [])],
      reviewer: this.diagnoser,
      loadtests: deps.loadtests,
      workingDirectory: () => this.#workingDirectory(),
      serviceUrl: () => `http://127.0.0.1:${this.servicePort}`,
    })
    // Messages a previous daemon queued but did not send go out first.
    this.#notifier.resume(config.name)
  }

  get name(): string {
    return this.#config.name
  }

  get status(): RolloutStatus {
    return this.#runner.status
  }

  get plan(): RolloutPlan {
    return this.#runner.plan
  }

  /** How each of the rollout's notifications has fared, counts kept across daemon restarts. */
  get notifications(): NotificationStats[] {
    return this.#notifier.stats()
  }

  /** The pid of the rollout's proxy process, while it runs. */
  get proxyPid(): number | undefined {
    return this.#proxy.host?.record.pid
  }

  /** The proxy's port and its counters as last read, while it runs. */
  get proxy(): { port: number; traffic: TrafficReader } | undefined {
    const host = this.#proxy.host
    return host === undefined ? undefined : { port: host.port, traffic: this.#proxy.traffic }
  }

  /** The flag a flag rollout moves, else undefined. */
  get flagKey(): string | undefined {
    return this.#config.flag?.key
  }

  /** Where Prometheus scrapes the rollout's proxy (`127.0.0.1:<port>`), while it runs. */
  get metricsTarget(): string | undefined {
    return this.#proxy.host?.metricsTarget
  }

  /** Where command metrics run: the working directory of the canary's workload, else stable's. */
  #workingDirectory(): string | undefined {
    const s = this.#runner.status
    const revision = s.canaryRevision ?? s.stableRevision
    return revision === null ? undefined : this.#config.templates.get(revision)?.cwd
  }

  /** One tick of the runner, reported to whoever watches ticks (the daemon's metrics). */
  async #tick(now: number): Promise<TickReport> {
    const started = performance.now()
    const report = await this.#runner.tickOnce(now)
    // Ticks finish in order (the runner serialises them): each is compared with the one before.
    const before = this.#observed
    this.#observed = report.status
    this.deps.observeTick?.(this.name, before, report, (performance.now() - started) / 1000)
    return report
  }

  get servicePort(): number {
    return this.#proxy.host?.port ?? this.#config.servicePort
  }

  async start(tickMs: number): Promise<void> {
    if (this.#config.flag !== undefined) {
      // A flag rollout runs no processes and no proxy: only the runner's ticks.
      await this.#runner.restore()
      this.#every(tickMs, () => this.#tick(this.deps.clock.now()).then(() => undefined), false)
      await this.#tick(this.deps.clock.now())
      return
    }
    await this.#proxy.open(this.#config.servicePort)
    // After a restart, replicas the status wants may be gone; an adopted proxy still routes.
    await this.#runner.restore()
    this.#every(
      tickMs,
      () =>
        this.#replaceDeadProxy()
          .then(() => this.#tick(this.deps.clock.now()))
          .then(() => this.#proxy.readTraffic()),
      true,
    )
    await this.#tick(this.deps.clock.now())
  }

  /** Runs `work` every `tickMs` on the clock until stopped; a failure is logged, never thrown. */
  #every(tickMs: number, work: () => Promise<void>, withStack: boolean): void {
    this.#timer = this.deps.clock.every(tickMs, () => {
      if (this.#stopped) return
      const done = work()
        .catch((err: unknown) => {
          const text =
            err instanceof Error
              ? withStack
                ? (err.stack ?? err.message)
                : err.message
              : String(err)
          this.deps.log(`rollout ${this.name}: tick failed: ${text}`)
        })
        .finally(() => this.#scheduled.delete(done))
      this.#scheduled.add(done)
    })
  }

  /**
   * Resolves once every tick the clock has scheduled so far, and every command and update queued, has
   * run: after moving a manual clock on, the rollout's status is what those ticks made it.
   */
  async settled(): Promise<void> {
    while (this.#scheduled.size > 0) await Promise.all([...this.#scheduled])
    await this.#runner.serial(() => undefined)
  }

  /** A proxy process that died is started again, in the runner's queue (see RolloutProxy.replace). */
  #replaceDeadProxy(): Promise<void> {
    const dead = this.#proxy.dead()
    if (dead === undefined) return Promise.resolve()
    return this.#runner.serial(async () => {
      if (!this.#stopped) await this.#proxy.replace(dead)
    })
  }

  /** A user command: checked and persisted, then a tick carries it out. */
  async command(command: RolloutCommand): Promise<RolloutStatus> {
    await this.#runner.command(command, this.deps.clock.now())
    await this.#tick(this.deps.clock.now())
    return this.status
  }

  /** A new spec (and maybe a new revision) was applied. */
  async update(config: Omit<ControllerConfig, 'status'>): Promise<void> {
    const { plan, ...rest } = config
    await this.#runner.serial(async () => {
      if (rest.flag === undefined && rest.servicePort !== this.#config.servicePort)
        await this.#proxy.moveTo(rest.servicePort)
      this.#config = rest
      await this.#proxy.rebind()
    })
    await this.#runner.update(plan)
    await this.#tick(this.deps.clock.now())
  }

  /** Re-sends the routing with fresh endpoints when one of this rollout's replica sets changed. */
  replicaSetChanged(key: string): void {
    if (this.#workloads.owns(key)) this.#proxy.refresh()
  }

  /**
   * Stops ticking. With `keepProxy` the proxy process goes on serving (a later daemon adopts it);
   * otherwise it drains in-flight requests and exits. Replicas are left to the caller.
   */
  async stop(drainMs = 5000, keepProxy = false): Promise<void> {
    this.#stopped = true
    this.#timer?.cancel()
    await this.#runner.serial(() => undefined)
    // Messages still waiting get a moment to go out; the rest are counted as dropped.
    await this.#notifier.close(Math.min(drainMs, 2000))
    if (keepProxy) return
    await this.#proxy.close(drainMs)
  }
}
