/**
 * Drives one rollout in local mode: runs the pure engine on a timer, persists every status change
 * (with its events) before acting on it, then carries out the actions — replicas through the
 * supervisor, traffic through the rollout's proxy, measurements from the proxy's counters.
 */
import type { Measurement } from '../../analysis/types.js'
import { applyCommand, type RolloutCommand } from '../../engine/commands.js'
import type { RolloutPlan } from '../../engine/plan.js'
import { reconcile } from '../../engine/reconcile.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { EngineAction, Observations } from '../../engine/types.js'
import { startProxy, type ProxyRoutes, type ProxyServer } from '../proxy/index.js'
import type { StateStore } from '../store/index.js'
import type { Supervisor } from '../supervisor/index.js'
import { backendId, measureLocally } from './builtin-metrics.js'
import type { ProcessTemplate } from './rollout-document.js'

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

export function replicaSetKey(name: string, revision: number): string {
  return `${name}@${revision}`
}

export class RolloutController {
  #config: ControllerConfig
  #proxy: ProxyServer | undefined
  #pending: Observations['measurements'] = []
  #queue: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  constructor(
    private readonly deps: ControllerDeps,
    config: ControllerConfig,
  ) {
    this.#config = config
  }

  get name(): string {
    return this.#config.name
  }

  get status(): RolloutStatus {
    return this.#config.status
  }

  get plan(): RolloutPlan {
    return this.#config.plan
  }

  get proxy(): ProxyServer | undefined {
    return this.#proxy
  }

  get servicePort(): number {
    return this.#proxy?.port ?? this.#config.servicePort
  }

  async start(tickMs: number): Promise<void> {
    this.#proxy = await startProxy({
      host: '127.0.0.1',
      port: this.#config.servicePort,
      routes: this.#routes(),
      name: this.#config.name,
    })
    // Replicas of revisions the status wants must exist (after a restart some may be gone).
    for (const [revision, replicas] of Object.entries(this.#config.status.replicas))
      this.#scale(Number(revision), replicas)
    this.syncProxy()
    this.#timer = setInterval(() => {
      void this.#serial(() => this.#tick()).catch((err: unknown) => {
        this.deps.log(
          `rollout ${this.name}: tick failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        )
      })
    }, tickMs)
    await this.#serial(() => this.#tick())
  }

  /** Runs `fn` after everything queued before it; ticks, commands and updates never interleave. */
  #serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.#queue.then(fn, fn)
    this.#queue = next.catch(() => undefined)
    return next
  }

  /** A user command: checked and applied to the status, persisted, then a tick carries it out. */
  command(command: RolloutCommand): Promise<RolloutStatus> {
    return this.#serial(async () => {
      const status = applyCommand(this.plan, this.status, command, this.deps.now())
      const detail =
        command.type === 'promote' && command.full === true ? 'promote --full' : command.type
      this.deps.store.saveStatus(this.name, status, [
        {
          at: this.deps.now(),
          type: 'info',
          reason: 'Command',
          message: `${detail} requested by user`,
          data: { canaryWeight: status.traffic.canaryWeight, stepIndex: status.currentStepIndex },
        },
      ])
      this.#config.status = status
      await this.#tick()
      return this.status
    })
  }

  /** A new spec (and maybe a new revision) was applied. */
  update(config: Omit<ControllerConfig, 'status'>): Promise<void> {
    return this.#serial(async () => {
      const portChanged = config.servicePort !== this.#config.servicePort
      this.#config = { ...config, status: this.#config.status }
      if (portChanged && this.#proxy !== undefined) {
        await this.#proxy.close({ drainMs: 2000 })
        this.#proxy = await startProxy({
          host: '127.0.0.1',
          port: config.servicePort,
          routes: this.#routes(),
          name: config.name,
        })
      }
      await this.#tick()
    })
  }

  #tick(): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    const now = this.deps.now()
    const obs: Observations = { versions: this.#observeVersions(), measurements: this.#pending }
    this.#pending = []
    const before = this.#config.status
    const { status, actions } = reconcile(this.plan, before, obs, now)
    const events = actions.flatMap((a) =>
      a.type === 'event'
        ? [
            {
              at: now,
              type: a.severity,
              reason: a.reason,
              message: a.message,
              data: { canaryWeight: a.canaryWeight, stepIndex: a.stepIndex, revision: a.revision },
            },
          ]
        : [],
    )
    // Persist first: if the daemon dies right after, the next one resumes from here.
    if (events.length > 0 || JSON.stringify(status) !== JSON.stringify(before))
      this.deps.store.saveStatus(this.name, status, events)
    this.#config.status = status
    for (const action of actions) this.#execute(action, now)
    return Promise.resolve()
  }

  #execute(action: EngineAction, now: number): void {
    switch (action.type) {
      case 'scale':
        this.#scale(action.revision, action.replicas)
        return
      case 'setTraffic':
        this.syncProxy()
        return
      case 'measure': {
        const proxy = this.#proxy
        let measurement: Measurement
        if (proxy === undefined)
          measurement = {
            metric: action.request.metric,
            at: now,
            error: 'the proxy is not running',
          }
        else measurement = measureLocally(action.request, proxy.traffic, this.status.traffic, now)
        this.#pending.push({ runId: action.request.runId, measurement })
        return
      }
      case 'event':
        this.deps.log(
          `rollout ${this.name}: [${action.severity}] ${action.reason}: ${action.message}`,
        )
        return
    }
  }

  #scale(revision: number, replicas: number): void {
    const key = replicaSetKey(this.name, revision)
    if (replicas <= 0) {
      void this.deps.supervisor
        .remove(key)
        .catch((err: unknown) =>
          this.deps.log(`rollout ${this.name}: stopping ${key} failed: ${String(err)}`),
        )
      return
    }
    const template = this.#config.templates.get(revision)
    if (template === undefined) {
      this.deps.log(
        `rollout ${this.name}: no workload template for revision ${revision}; cannot scale it`,
      )
      return
    }
    this.deps.supervisor.apply({
      key,
      command: template.command,
      cwd: template.cwd,
      env: { ...template.env, KANARI_ROLLOUT: this.name, KANARI_REVISION: String(revision) },
      replicas,
      ...(template.readiness === undefined ? {} : { readiness: template.readiness }),
    })
  }

  #observeVersions(): Observations['versions'] {
    const versions: Observations['versions'] = {}
    const revisions = new Set(Object.keys(this.status.replicas))
    for (const r of [this.status.stableRevision, this.status.canaryRevision])
      if (r !== null) revisions.add(String(r))
    for (const revision of revisions) {
      const set = this.deps.supervisor.status(replicaSetKey(this.name, Number(revision)))
      versions[revision] =
        set === undefined
          ? { desired: 0, ready: 0, crashLooping: false }
          : { desired: set.desired, ready: set.ready, crashLooping: set.crashLooping }
    }
    return versions
  }

  #routes(): ProxyRoutes {
    const t = this.status.traffic
    const backends: ProxyRoutes['backends'] = []
    const weights: ProxyRoutes['weights'] = []
    const endpointsOf = (revision: number): { host: string; port: number }[] =>
      this.deps.supervisor.status(replicaSetKey(this.name, revision))?.endpoints ?? []
    if (t.stableRevision !== null) {
      backends.push({ id: backendId(t.stableRevision), endpoints: endpointsOf(t.stableRevision) })
      weights.push({
        backend: backendId(t.stableRevision),
        weight: t.canaryRevision === null ? 100 : 100 - t.canaryWeight,
      })
    }
    const routes: ProxyRoutes = { backends, weights, headerRoutes: [] }
    if (t.canaryRevision !== null) {
      const canary = backendId(t.canaryRevision)
      backends.push({ id: canary, endpoints: endpointsOf(t.canaryRevision) })
      weights.push({ backend: canary, weight: t.canaryWeight })
      routes.headerRoutes = t.headerRoutes.map((r) => ({
        name: r.name,
        match: r.match,
        backend: canary,
      }))
      if (t.mirror !== null)
        routes.mirror = { backend: canary, percentage: t.mirror.percentage, match: t.mirror.match }
    }
    if (this.#config.sticky !== undefined) routes.sticky = this.#config.sticky
    return routes
  }

  /** Pushes the current routing and endpoints to the proxy (also on every endpoint change). */
  syncProxy(): void {
    this.#proxy?.update(this.#routes())
  }

  /** Stops ticking and closes the proxy (draining in-flight requests); replicas are left to the caller. */
  async stop(drainMs = 5000): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    await this.#queue.catch(() => undefined)
    await this.#proxy?.close({ drainMs })
  }
}
