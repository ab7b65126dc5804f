/**
 * One rollout in local mode: the shared runner wired to local ports — replicas through the
 * supervisor, traffic through the rollout's own proxy process, builtin metrics from that proxy's
 * counters, status and events in SQLite — and the timer that ticks it. The proxy process outlives
 * the daemon; a restarted daemon adopts it.
 */
import type { RolloutCommand } from '../../engine/commands.js'
import type { RolloutPlan } from '../../engine/plan.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { EventSink, TrafficRouter, WorkloadDriver } from '../../controller/ports.js'
import { HttpWebhookCaller } from '../../webhooks/http-caller.js'
import { RolloutRunner, type TickReport } from '../../controller/runner.js'
import { externalMetricProviders } from '../../providers/index.js'
import { Notifier, type NotificationStats } from '../../notify/index.js'
import { BuiltinMetricProvider } from '../driver/builtin-metrics.js'
import { FlagOutcomeMetrics, FlagRouter, FlagWorkloads } from '../driver/flag-rollout-ports.js'
import { Diagnoser } from '../diagnosis/diagnoser.js'
import { LocalWebhookCaller } from '../driver/local-webhook-caller.js'
import type { FlagService } from '../flags/flag-service.js'
import type { LoadtestRuns } from '../load/loadtest-runs.js'
import { LogSink } from '../driver/log-sink.js'
import { ProcessWorkloads, replicaSetKey } from '../driver/process-workloads.js'
import { ProxyRouter, type ProxyRouterOptions } from '../driver/proxy-router.js'
import { TrafficSnapshot, type TrafficReader } from '../metrics/traffic-reader.js'
import { ProxyHost } from '../proxy-host/host-process.js'
import { PROXY_RECORD_PREFIX, type ProxyHostRecord } from '../proxy-host/protocol.js'
import { SqliteRolloutStore, type StateStore } from '../store/index.js'
import type { Supervisor } from '../supervisor/index.js'
import type { ProcessTemplate } from './rollout-document.js'

export { replicaSetKey }

export interface ControllerDeps {
  store: StateStore
  supervisor: Supervisor
  /** Where proxy sockets and logs go. */
  stateDir: string
  log: (line: string) => void
  now: () => number
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
  #proxy: ProxyHost | undefined
  #router: ProxyRouter | undefined
  /** The proxy's counters as last read (refreshed every tick), for views and /metrics. */
  #traffic = new TrafficSnapshot()
  #timer: NodeJS.Timeout | undefined
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
    this.diagnoser = new Diagnoser({
      name: config.name,
      store: deps.store,
      supervisor: deps.supervisor,
      status: () => this.#runner.status,
      proxy: () => this.#proxy,
      log: deps.log,
      now: deps.now,
    })
    this.#observed = status
    this.#workloads = new ProcessWorkloads(
      deps.supervisor,
      config.name,
      () => this.#config.templates,
      deps.log,
    )
    this.#notifier = new Notifier({
      notifications: () => this.#runner.plan.notifications,
      baseDir: () => this.#config.baseDir,
      log: deps.log,
      outbox: deps.store.outbox,
      counts: {
        load: () => deps.store.notificationCounts.load(config.name),
        save: (counts) => deps.store.notificationCounts.save(config.name, counts),
      },
    })
    let workloads: WorkloadDriver = this.#workloads
    let router: TrafficRouter = {
      capabilities: { weights: true, headerRoutes: true, mirror: true },
      apply: (traffic) => this.#requireRouter().apply(traffic),
      verify: () => this.#requireRouter().verify(),
    }
    let builtin: BuiltinMetricProvider | FlagOutcomeMetrics = new BuiltinMetricProvider(
      () => this.#proxy,
    )
    if (config.flag !== undefined) {
      // A flag rollout moves a flag's split: no processes, no proxy; the app reports outcomes.
      const { key } = config.flag
      const variantOf = (revision: number | null) =>
        revision === null ? undefined : this.#config.flag?.variants.get(revision)
      workloads = new FlagWorkloads()
      router = new FlagRouter(deps.flags, key, variantOf, `rollout/${config.name}`)
      builtin = new FlagOutcomeMetrics(deps.flags, key, variantOf)
    }
    this.#runner = new RolloutRunner(
      {
        workloads,
        router,
        metrics: {
          builtin,
          ...externalMetricProviders({
            command: {
              cwd: () => this.#workingDirectory(),
              env: { KANARI_ROLLOUT: config.name },
            },
          }),
        },
        store: new SqliteRolloutStore(deps.store),
        sinks: [new LogSink(deps.log), this.#notifier, this.diagnoser, ...(deps.sinks ?? [])],
        reviewer: this.diagnoser,
        webhooks: new LocalWebhookCaller({
          http: new HttpWebhookCaller(),
          gate: (name) => deps.store.gates.get(name),
          loadtests: deps.loadtests,
          serviceUrl: () => `http://127.0.0.1:${this.servicePort}`,
        }),
      },
      {
        name: config.name,
        plan,
        status,
        measurements: 'background',
        driver: 'local mode',
        onActionError: (action, err) =>
          deps.log(
            `rollout ${config.name}: ${action.type} failed: ${err instanceof Error ? err.message : String(err)}`,
          ),
      },
    )
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
    return this.#proxy?.record.pid
  }

  /** The proxy's port and its counters as last read, while it runs. */
  get proxy(): { port: number; traffic: TrafficReader } | undefined {
    return this.#proxy === undefined
      ? undefined
      : { port: this.#proxy.port, traffic: this.#traffic }
  }

  /** The flag a flag rollout moves, else undefined. */
  get flagKey(): string | undefined {
    return this.#config.flag?.key
  }

  /** Where Prometheus scrapes the rollout's proxy (`127.0.0.1:<port>`), while it runs. */
  get metricsTarget(): string | undefined {
    return this.#proxy?.metricsTarget
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
    return this.#proxy?.port ?? this.#config.servicePort
  }

  #routerOptions(): ProxyRouterOptions {
    return {
      endpoints: (revision) => this.#workloads.endpoints(revision),
      ...(this.#config.sticky === undefined ? {} : { sticky: this.#config.sticky }),
    }
  }

  #requireRouter(): ProxyRouter {
    if (this.#router === undefined) throw new Error('the proxy is not running')
    return this.#router
  }

  #recordKey(): string {
    return `${PROXY_RECORD_PREFIX}${this.name}`
  }

  /**
   * Records the proxy process for a later daemon to adopt. A record that cannot be written (a full
   * disk) costs only that: a later daemon starts a new proxy instead; serving goes on.
   */
  #remember(proxy: ProxyHost | undefined): void {
    try {
      if (proxy === undefined) this.deps.store.meta.delete(this.#recordKey())
      else this.deps.store.meta.set(this.#recordKey(), JSON.stringify(proxy.record))
    } catch (err) {
      this.deps.log(
        `rollout ${this.name}: could not record its proxy (${err instanceof Error ? err.message : String(err)}); a restarted daemon will start a new one`,
      )
    }
  }

  /** The proxy process a previous daemon left serving, or a new one. */
  async #proxyProcess(): Promise<ProxyHost> {
    const recorded = this.deps.store.meta.get(this.#recordKey())
    if (recorded !== undefined) {
      const record = JSON.parse(recorded) as ProxyHostRecord
      if (record.port === this.#config.servicePort || this.#config.servicePort === 0) {
        const adopted = await ProxyHost.adopt(record)
        if (adopted !== undefined) {
          this.deps.log(
            `rollout ${this.name}: adopted its proxy (pid ${record.pid}, port ${record.port})`,
          )
          return adopted
        }
      }
    }
    const started = await ProxyHost.start({
      name: this.name,
      host: '127.0.0.1',
      port: this.#config.servicePort,
      stateDir: this.deps.stateDir,
    })
    this.#remember(started)
    return started
  }

  async start(tickMs: number): Promise<void> {
    if (this.#config.flag !== undefined) {
      // A flag rollout runs no processes and no proxy: only the runner's ticks.
      await this.#runner.restore()
      this.#timer = setInterval(() => {
        if (this.#stopped) return
        this.#tick(this.deps.now()).catch((err: unknown) => {
          this.deps.log(
            `rollout ${this.name}: tick failed: ${err instanceof Error ? err.message : String(err)}`,
          )
        })
      }, tickMs)
      await this.#tick(this.deps.now())
      return
    }
    this.#proxy = await this.#proxyProcess()
    this.#router = new ProxyRouter(this.#proxy, this.#routerOptions())
    await this.#readTraffic()
    // After a restart, replicas the status wants may be gone; an adopted proxy still routes.
    await this.#runner.restore()
    this.#timer = setInterval(() => {
      if (this.#stopped) return
      this.#replaceDeadProxy()
        .then(() => this.#tick(this.deps.now()))
        .then(() => this.#readTraffic())
        .catch((err: unknown) => {
          this.deps.log(
            `rollout ${this.name}: tick failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
          )
        })
    }, tickMs)
    await this.#tick(this.deps.now())
  }

  /**
   * A proxy process that died is started again on the same port, in the runner's queue, and given
   * the routing table back; its counters start from zero (the analysis windows say so as no data).
   */
  #replaceDeadProxy(): Promise<void> {
    const proxy = this.#proxy
    if (proxy === undefined || proxy.alive()) return Promise.resolve()
    return this.#runner.serial(async () => {
      if (this.#proxy !== proxy || this.#stopped) return
      this.deps.log(
        `rollout ${this.name}: its proxy (pid ${proxy.record.pid}) is gone; starting another`,
      )
      const next = await ProxyHost.start({
        name: this.name,
        host: '127.0.0.1',
        port: proxy.port,
        stateDir: this.deps.stateDir,
      })
      this.#remember(next)
      this.#proxy = next
      await this.#router?.rebind(next, this.#routerOptions())
    })
  }

  async #readTraffic(): Promise<void> {
    const proxy = this.#proxy
    if (proxy === undefined) return
    try {
      this.#traffic = new TrafficSnapshot(await proxy.totals())
    } catch (err) {
      this.deps.log(`rollout ${this.name}: reading the proxy's counters failed: ${String(err)}`)
    }
  }

  /** A user command: checked and persisted, then a tick carries it out. */
  async command(command: RolloutCommand): Promise<RolloutStatus> {
    await this.#runner.command(command, this.deps.now())
    await this.#tick(this.deps.now())
    return this.status
  }

  /** A new spec (and maybe a new revision) was applied. */
  async update(config: Omit<ControllerConfig, 'status'>): Promise<void> {
    const { plan, ...rest } = config
    await this.#runner.serial(async () => {
      const old = this.#proxy
      const portChanged = rest.flag === undefined && rest.servicePort !== this.#config.servicePort
      if (portChanged && old !== undefined) {
        // The new port first: if it is taken, the rollout keeps serving on the old one.
        const next = await ProxyHost.start({
          name: this.name,
          host: '127.0.0.1',
          port: rest.servicePort,
          stateDir: this.deps.stateDir,
        })
        this.#remember(next)
        this.#proxy = next
        await old.close(2000)
      }
      this.#config = rest
      if (this.#proxy !== undefined) await this.#router?.rebind(this.#proxy, this.#routerOptions())
    })
    await this.#runner.update(plan)
    await this.#tick(this.deps.now())
  }

  /** Re-sends the routing with fresh endpoints when one of this rollout's replica sets changed. */
  replicaSetChanged(key: string): void {
    if (this.#workloads.owns(key))
      this.#router
        ?.refresh()
        .catch((err: unknown) =>
          this.deps.log(`rollout ${this.name}: updating the proxy failed: ${String(err)}`),
        )
  }

  /**
   * Stops ticking. With `keepProxy` the proxy process goes on serving (a later daemon adopts it);
   * otherwise it drains in-flight requests and exits. Replicas are left to the caller.
   */
  async stop(drainMs = 5000, keepProxy = false): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    await this.#runner.serial(() => undefined)
    // Messages still waiting get a moment to go out; the rest are counted as dropped.
    await this.#notifier.close(Math.min(drainMs, 2000))
    if (keepProxy) return
    await this.#proxy?.close(drainMs)
    this.#remember(undefined)
  }
}
