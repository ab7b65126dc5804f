/**
 * The Kanari controller: informers over Rollouts, their templates, Deployments, ReplicaSets and
 * revisions; a keyed work queue of Rollouts; Lease leader election (only the leader reconciles —
 * a standby keeps warm caches and takes over when the lease lapses); and the health and metrics
 * endpoints. `kanari controller` runs it.
 */
import { hostname } from 'node:os'
import type { Server } from 'node:http'
import type { MetricProviders } from '../../controller/ports.js'
import type { KubeApi } from '../kit/api.js'
import { KubeClient, type KubeClientOptions } from '../kit/client.js'
import { EventRecorder } from '../kit/event-recorder.js'
import { Informer } from '../kit/informer.js'
import { LeaderElector } from '../kit/leader-election.js'
import { RESOURCES, type KubeObject } from '../kit/types.js'
import { WorkQueue } from '../kit/work-queue.js'
import type { RolloutObject } from '../store/rollout-status-store.js'
import type { Deployment, ReplicaSet } from '../workloads/deployments.js'
import { LABEL_ROLLOUT } from '../workloads/deployment-workloads.js'
import { Reservoir, startHealthServer } from './health-server.js'
import { RolloutReconciler } from './rollout-reconciler.js'
import type { ControllerRevision } from './target-revision.js'

export interface ControllerOptions extends KubeClientOptions {
  /** Watch only this namespace (default: all). */
  watchNamespace?: string
  /** host:port of /healthz, /readyz, /metrics ("" for none). */
  metricsAddress: string
  leaderElection: {
    enabled: boolean
    namespace: string
    name: string
    identity?: string
    leaseDurationSeconds: number
    renewDeadlineSeconds: number
    retryPeriodSeconds: number
  }
  tickSeconds: number
  resyncSeconds: number
  workers: number
  /** The metric providers, given the controller's API client (the job provider needs it). */
  metrics: (client: KubeApi) => MetricProviders
  log: (line: string) => void
}

export class KanariController {
  readonly client: KubeApi
  readonly reconciler: RolloutReconciler
  readonly queue: WorkQueue
  readonly #informers: Informer<KubeObject>[] = []
  readonly #elector: LeaderElector | undefined
  readonly #recorder: EventRecorder
  readonly #latency = new Reservoir()
  #server: Server | undefined
  #leading = false
  #stopped: (() => void) | undefined
  /** Why the controller stopped, once it has. */
  readonly done: Promise<'stopped' | 'lost leadership'>
  readonly identity: string
  metricsPort: number | undefined

  private constructor(
    client: KubeApi,
    private readonly options: ControllerOptions,
  ) {
    this.client = client
    this.identity =
      options.leaderElection.identity ?? `${process.env.POD_NAME ?? hostname()}-${process.pid}`
    this.#recorder = new EventRecorder(client, 'kanari.dev/controller', this.identity, options.log)
    const ns = options.watchNamespace
    const informer = <T extends KubeObject>(
      resource: (typeof RESOURCES)[keyof typeof RESOURCES],
      onEvent: (o: T) => void,
      extra: { labelSelector?: string; clusterScoped?: boolean } = {},
    ): Informer<T> => {
      const i = new Informer<T>(client, {
        resource,
        ...(ns === undefined || extra.clusterScoped === true ? {} : { namespace: ns }),
        ...(extra.labelSelector === undefined ? {} : { labelSelector: extra.labelSelector }),
        onEvent: (_type, o) => onEvent(o),
        log: options.log,
      })
      this.#informers.push(i as unknown as Informer<KubeObject>)
      return i
    }
    const rollouts = informer<RolloutObject>(RESOURCES.rollouts, (o) => this.#enqueue(o))
    const deployments = informer<Deployment>(RESOURCES.deployments, (d) =>
      this.#enqueueFor(d.metadata.namespace, d.metadata.name, d.metadata.labels),
    )
    const replicaSets = informer<ReplicaSet>(RESOURCES.replicaSets, (rs) => {
      const owner = rs.metadata.ownerReferences?.find((r) => r.kind === 'Deployment')
      if (owner !== undefined) {
        const d = deployments.get(rs.metadata.namespace, owner.name)
        this.#enqueueFor(rs.metadata.namespace, owner.name, d?.metadata.labels)
      }
    })
    const templates = informer<KubeObject>(RESOURCES.analysisTemplates, (t) =>
      this.#enqueueNamespace(t.metadata.namespace),
    )
    const clusterTemplates = informer<KubeObject>(
      RESOURCES.clusterAnalysisTemplates,
      () => this.#enqueueNamespace(undefined),
      { clusterScoped: true },
    )
    const revisions = informer<ControllerRevision>(RESOURCES.controllerRevisions, () => undefined, {
      labelSelector: LABEL_ROLLOUT,
    })
    this.reconciler = new RolloutReconciler({
      client,
      caches: { rollouts, deployments, replicaSets, templates, clusterTemplates, revisions },
      metrics: options.metrics(client),
      recorder: this.#recorder,
      log: options.log,
      tickMs: options.tickSeconds * 1000,
      resyncMs: options.resyncSeconds * 1000,
    })
    this.#rollouts = rollouts
    this.queue = new WorkQueue(
      async (key) => {
        const started = performance.now()
        try {
          return await this.reconciler.reconcile(key)
        } finally {
          this.#latency.add((performance.now() - started) / 1000)
        }
      },
      {
        concurrency: options.workers,
        onError: (key, err, retryInMs) => this.#reportError(key, err, retryInMs),
      },
    )
    if (options.leaderElection.enabled) {
      const le = options.leaderElection
      this.#elector = new LeaderElector(client, {
        namespace: le.namespace,
        name: le.name,
        identity: this.identity,
        leaseDurationSeconds: le.leaseDurationSeconds,
        renewDeadlineSeconds: le.renewDeadlineSeconds,
        retryPeriodSeconds: le.retryPeriodSeconds,
        onStartedLeading: () => this.#lead(),
        onStoppedLeading: () => this.#stop('lost leadership'),
        log: options.log,
      })
    }
    this.done = new Promise((resolve) => {
      this.#stopped = () => resolve(this.#stopReason)
    })
  }

  readonly #rollouts: Informer<RolloutObject>
  /** The last reconcile error told about each Rollout (each new one becomes a Warning event). */
  readonly #lastError = new Map<string, string>()
  #stopReason: 'stopped' | 'lost leadership' = 'stopped'

  static async start(options: ControllerOptions): Promise<KanariController> {
    return KanariController.startOn(await KubeClient.connect(options), options)
  }

  /** Runs on an API already connected (a KubeClient, or the in-memory API of the unit tests). */
  static async startOn(client: KubeApi, options: ControllerOptions): Promise<KanariController> {
    const controller = new KanariController(client, options)
    await controller.#start()
    return controller
  }

  get isLeader(): boolean {
    return this.#leading
  }

  async #start(): Promise<void> {
    for (const i of this.#informers) i.start()
    if (this.options.metricsAddress !== '') {
      const { server, port, host } = await startHealthServer(this.options.metricsAddress, {
        ready: () => this.#synced,
        metrics: () => this.#metrics(),
      })
      this.#server = server
      this.metricsPort = port
      this.options.log(`serving /healthz, /readyz and /metrics on ${host}:${port}`)
    }
    await Promise.all(this.#informers.map((i) => i.synced))
    this.#synced = true
    this.options.log(`caches synced (${this.#rollouts.list().length} rollouts)`)
    if (this.#elector === undefined) this.#lead()
    else this.#elector.start()
  }

  #synced = false

  #lead(): void {
    this.#leading = true
    this.options.log(`${this.identity} reconciles`)
    for (const r of this.#rollouts.list()) this.#enqueue(r)
    this.queue.start()
  }

  /** Logs a failed reconcile, and tells the Rollout's users once per distinct error. */
  #reportError(key: string, err: unknown, retryInMs: number): void {
    const message = err instanceof Error ? err.message : String(err)
    this.options.log(
      `reconcile ${key} failed: ${message} (retrying in ${Math.round(retryInMs)} ms)`,
    )
    if (this.#lastError.get(key) === message) return
    this.#lastError.set(key, message)
    const i = key.indexOf('/')
    const rollout = this.#rollouts.get(key.slice(0, i), key.slice(i + 1))
    if (rollout !== undefined)
      this.#recorder.record(RESOURCES.rollouts, rollout, {
        type: 'Warning',
        reason: 'ReconcileError',
        action: 'Reconcile',
        note: `${message} (retrying with backoff)`,
      })
  }

  #enqueue(o: KubeObject): void {
    this.queue.add(`${o.metadata.namespace ?? 'default'}/${o.metadata.name}`)
  }

  /** Rollouts whose target, or whose primary, this Deployment is. */
  #enqueueFor(
    namespace: string | undefined,
    deployment: string,
    labels: Record<string, string> | undefined,
  ): void {
    const owner = labels?.[LABEL_ROLLOUT]
    if (owner !== undefined) this.queue.add(`${namespace ?? 'default'}/${owner}`)
    for (const r of this.#rollouts.list(namespace)) {
      const spec = r.spec as { workload?: { targetRef?: { name?: string } } } | undefined
      if (spec?.workload?.targetRef?.name === deployment) this.#enqueue(r)
    }
  }

  #enqueueNamespace(namespace: string | undefined): void {
    for (const r of this.#rollouts.list(namespace)) this.#enqueue(r)
  }

  #metrics(): string {
    const lines: string[] = []
    const metric = (name: string, help: string, type: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`)
    }
    metric(
      'kanari_leader',
      'Whether this replica is the leader and reconciles (1) or a standby (0).',
      'gauge',
      [['', this.#leading ? 1 : 0]],
    )
    metric('kanari_rollouts', 'Rollouts in the cache.', 'gauge', [
      ['', this.#rollouts.list().length],
    ])
    metric('kanari_reconciles_total', 'Reconciles run.', 'counter', [['', this.queue.processed]])
    metric(
      'kanari_reconcile_errors_total',
      'Reconciles that failed (retried with backoff).',
      'counter',
      [['', this.queue.failed]],
    )
    metric(
      'kanari_reconcile_duration_seconds',
      'Reconcile latency over the latest 4096 reconciles.',
      'summary',
      [
        ['{quantile="0.5"}', this.#latency.quantile(0.5)],
        ['{quantile="0.99"}', this.#latency.quantile(0.99)],
        ['_sum', this.#latency.sum],
        ['_count', this.#latency.count],
      ],
    )
    metric('kanari_workqueue_depth', 'Rollouts waiting to be reconciled.', 'gauge', [
      ['', this.queue.depth],
    ])
    metric(
      'kanari_api_requests_total',
      'Requests to the Kubernetes API server, by verb and resource.',
      'counter',
      [...this.client.requests.byVerb].map(([key, n]) => {
        const [verb, resource] = key.split(' ')
        return [`{verb="${verb ?? ''}",resource="${resource ?? ''}"}`, n]
      }),
    )
    metric(
      'kanari_informer_restarts_total',
      'Watches restarted after an error or a silent connection.',
      'counter',
      [['', this.#informers.reduce((n, i) => n + i.restarts, 0)]],
    )
    metric('process_resident_memory_bytes', 'Resident memory of the controller.', 'gauge', [
      ['', process.memoryUsage().rss],
    ])
    return lines.join('\n') + '\n'
  }

  #stop(reason: 'stopped' | 'lost leadership'): void {
    this.#stopReason = reason
    this.#leading = false
    void this.stop()
  }

  /** Stops reconciling, gives the lease up, stops the informers and the server. */
  async stop(): Promise<void> {
    await this.queue.stop()
    await this.#elector?.stop()
    await Promise.all(this.#informers.map((i) => i.stop()))
    await this.#recorder.flush()
    await new Promise<void>((r) =>
      this.#server === undefined ? r() : this.#server.close(() => r()),
    )
    await this.client.close()
    this.#stopped?.()
  }
}
