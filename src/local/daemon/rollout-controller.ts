/**
 * One rollout in local mode: the shared runner wired to local ports — replicas through the
 * supervisor, traffic through the rollout's own proxy, builtin metrics from the proxy's counters,
 * status and events in SQLite — and the timer that ticks it.
 */
import type { RolloutCommand } from '../../engine/commands.js'
import type { RolloutPlan } from '../../engine/plan.js'
import type { RolloutStatus } from '../../engine/status.js'
import { RolloutRunner } from '../../controller/runner.js'
import { BuiltinMetricProvider } from '../driver/builtin-metrics.js'
import { LogSink } from '../driver/log-sink.js'
import { ProcessWorkloads, replicaSetKey } from '../driver/process-workloads.js'
import { ProxyRouter, type ProxyRouterOptions } from '../driver/proxy-router.js'
import { startProxy, type ProxyServer } from '../proxy/index.js'
import { SqliteRolloutStore, type StateStore } from '../store/index.js'
import type { Supervisor } from '../supervisor/index.js'
import type { ProcessTemplate } from './rollout-document.js'

export { replicaSetKey }

export interface ControllerDeps {
  store: StateStore
  supervisor: Supervisor
  log: (line: string) => void
  now: () => number
}

export interface ControllerConfig {
  name: string
  plan: RolloutPlan
  status: RolloutStatus
  servicePort: number
  sticky?: { cookie?: string; header?: string }
  /** Workload template of every revision this rollout has had. */
  templates: Map<number, ProcessTemplate>
}

export class RolloutController {
  #config: Omit<ControllerConfig, 'status' | 'plan'>
  readonly #runner: RolloutRunner
  readonly #workloads: ProcessWorkloads
  #proxy: ProxyServer | undefined
  #router: ProxyRouter | undefined
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  constructor(
    private readonly deps: ControllerDeps,
    config: ControllerConfig,
  ) {
    const { status, plan, ...rest } = config
    this.#config = rest
    this.#workloads = new ProcessWorkloads(
      deps.supervisor,
      config.name,
      () => this.#config.templates,
      deps.log,
    )
    this.#runner = new RolloutRunner(
      {
        workloads: this.#workloads,
        router: {
          capabilities: { weights: true, headerRoutes: true, mirror: true },
          apply: (traffic) => this.#requireRouter().apply(traffic),
          verify: () => this.#requireRouter().verify(),
        },
        metrics: { builtin: new BuiltinMetricProvider(() => this.#proxy?.traffic) },
        store: new SqliteRolloutStore(deps.store),
        sinks: [new LogSink(deps.log)],
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

  get proxy(): ProxyServer | undefined {
    return this.#proxy
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

  async #startProxy(): Promise<ProxyServer> {
    return startProxy({
      host: '127.0.0.1',
      port: this.#config.servicePort,
      routes: { backends: [], weights: [], headerRoutes: [] },
      name: this.#config.name,
    })
  }

  async start(tickMs: number): Promise<void> {
    this.#proxy = await this.#startProxy()
    this.#router = new ProxyRouter(this.#proxy, this.#routerOptions())
    // After a restart, replicas the status wants may be gone and the new proxy routes nowhere.
    await this.#runner.restore()
    this.#timer = setInterval(() => {
      if (this.#stopped) return
      this.#runner.tickOnce(this.deps.now()).catch((err: unknown) => {
        this.deps.log(
          `rollout ${this.name}: tick failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        )
      })
    }, tickMs)
    await this.#runner.tickOnce(this.deps.now())
  }

  /** A user command: checked and persisted, then a tick carries it out. */
  async command(command: RolloutCommand): Promise<RolloutStatus> {
    await this.#runner.command(command, this.deps.now())
    await this.#runner.tickOnce(this.deps.now())
    return this.status
  }

  /** A new spec (and maybe a new revision) was applied. */
  async update(config: Omit<ControllerConfig, 'status'>): Promise<void> {
    const { plan, ...rest } = config
    await this.#runner.serial(async () => {
      const portChanged = rest.servicePort !== this.#config.servicePort
      this.#config = rest
      if (portChanged && this.#proxy !== undefined) {
        await this.#proxy.close({ drainMs: 2000 })
        this.#proxy = await this.#startProxy()
      }
      if (this.#proxy !== undefined) this.#router?.rebind(this.#proxy, this.#routerOptions())
    })
    await this.#runner.update(plan)
    await this.#runner.tickOnce(this.deps.now())
  }

  /** Re-sends the routing with fresh endpoints when one of this rollout's replica sets changed. */
  replicaSetChanged(key: string): void {
    if (this.#workloads.owns(key)) this.#router?.refresh()
  }

  /** Stops ticking and closes the proxy (draining in-flight requests); replicas are left to the caller. */
  async stop(drainMs = 5000): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    await this.#runner.serial(() => undefined)
    await this.#proxy?.close({ drainMs })
  }
}
