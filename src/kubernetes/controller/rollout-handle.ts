/**
 * One Rollout object's runner and ports, put together: the shared `RolloutRunner` over the
 * Deployment driver, the router its spec names, the status store and the Kubernetes-event sink —
 * plus the controller's book for it (revision history, commands handled), which is saved with every
 * status so a restarted controller picks it up.
 */
import type { MetricProviders } from '../../controller/ports.js'
import { Notifier } from '../../notify/index.js'
import { HttpWebhookCaller } from '../../webhooks/http-caller.js'
import type { KnownRevision } from '../../controller/revisions.js'
import { RolloutRunner } from '../../controller/runner.js'
import type { RolloutPlan } from '../../engine/plan.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { KubeApi } from '../kit/api.js'
import { routerFor, type KubeTrafficRouter } from '../routers/index.js'
import type { RolloutObject } from '../store/rollout-status-store.js'
import { KubeRolloutStatusStore } from '../store/rollout-status-store.js'
import { KubeEventSink } from '../store/kube-event-sink.js'
import {
  canaryServiceName,
  DeploymentWorkloads,
  primaryName,
  type Backend,
  type RevisionTemplate,
  type WorkloadCaches,
  type WorkloadNames,
} from '../workloads/deployment-workloads.js'
import { selectorsOf, type ServicePort, type ServiceSelectors } from '../workloads/services.js'
import type { EventRecorder } from '../kit/event-recorder.js'
import type { RolloutSpec } from '../../spec/schema.js'
import { RouteDrain } from './route-drain.js'
import { specOf } from './rollout-spec.js'

/** What the controller keeps under `status.kanari` besides the store's write sequence. */
export interface ControllerBook {
  revisions: KnownRevision[]
  /** The value of each command annotation last handled. */
  commands: Record<string, string>
  lastCommand?: { command: string; value: string; accepted: boolean; message: string }
  /** spec.paused paused the rollout: resume it when spec.paused goes back to false. */
  pausedBySpec?: boolean
}

export interface HandleDeps {
  client: KubeApi
  caches: WorkloadCaches
  metrics: MetricProviders
  recorder: EventRecorder
  store: KubeRolloutStatusStore
  log: (line: string) => void
  now?: () => number
}

/** `spec.service.drainSeconds` when unset: Traefik's default provider throttle (2 s) and then some. */
export const DRAIN_SECONDS = 5

export interface HandleInit {
  object: RolloutObject
  spec: RolloutSpec
  plan: RolloutPlan
  status: RolloutStatus
  book: ControllerBook
  targetRevision: number
  templates: Map<number, RevisionTemplate>
  targetSelector: Record<string, string>
  port: ServicePort
  targetPort: number | string
}

export class RolloutHandle {
  readonly names: WorkloadNames
  readonly runner: RolloutRunner
  readonly driver: DeploymentWorkloads
  readonly router: KubeTrafficRouter
  readonly selectors: ServiceSelectors
  object: RolloutObject
  book: ControllerBook
  targetRevision: number
  targetPort: number | string
  readonly templates: Map<number, RevisionTemplate>
  /** Where stable's share is routed now (read from the routing object, kept by every apply). */
  stableRouted: Backend | undefined
  /** The apex selector last applied (null: the router sets it); undefined before the first. */
  apexApplied: Backend | null | undefined
  /** What the driver and router were built from: a change of it builds the handle again. */
  readonly wiring: string
  /** When pods the last route change took traffic from may go. */
  readonly drain: RouteDrain
  /** AnalysisRun objects as last written, by name. */
  readonly analysisRuns = new Map<string, string>()

  constructor(
    private readonly deps: HandleDeps,
    init: HandleInit,
  ) {
    const { object } = init
    this.wiring = wiringOf(init.spec)
    const namespace = object.metadata.namespace ?? 'default'
    const target = init.spec.workload.targetRef?.name ?? object.metadata.name
    const service = serviceOf(init.spec).name ?? target
    this.names = {
      namespace,
      rollout: { name: object.metadata.name, uid: object.metadata.uid ?? '' },
      target,
      service,
    }
    this.object = object
    this.book = init.book
    this.targetRevision = init.targetRevision
    this.templates = init.templates
    this.targetPort = init.targetPort
    this.selectors = selectorsOf(init.targetSelector)
    this.drain = new RouteDrain({
      drainMs: () => 1000 * (serviceOf(specOf(this.object)).drainSeconds ?? DRAIN_SECONDS),
      now: deps.now ?? Date.now,
      observed: () => this.router.observed(),
    })
    this.driver = new DeploymentWorkloads(deps.client, this.names, deps.caches, {
      status: () => this.runner.status,
      targetRevision: () => this.targetRevision,
      template: (revision) => this.templates.get(revision),
      stableRouted: () => this.stableRouted,
      drainWaitMs: () => this.drain.waitMs(),
    })
    const router = routerFor({
      client: deps.client,
      names: this.names,
      spec: init.spec,
      backends: {
        primaryService: primaryName(service),
        canaryService: canaryServiceName(service),
        port: init.port.port,
        stableBackend: () => this.driver.stableBackend(),
      },
      selectors: this.selectors,
      port: init.port,
      targetPort: () => this.targetPort,
      // The driver scales the target down only once traffic has left it.
      onApplied: (stable) => {
        this.stableRouted = stable
        this.drain.changed()
      },
    })
    this.router = router
    this.runner = new RolloutRunner(
      {
        workloads: this.driver,
        router,
        metrics: deps.metrics,
        store: deps.store,
        sinks: [
          new KubeEventSink(deps.recorder, () => this.object),
          new Notifier({
            notifications: () => this.runner.plan.notifications,
            baseDir: () => process.cwd(),
            log: deps.log,
          }),
        ],
        webhooks: new HttpWebhookCaller(),
      },
      {
        name: object.metadata.name,
        plan: init.plan,
        status: init.status,
        measurements: 'background',
        driver: 'the Kubernetes controller',
        onActionError: (action, err) =>
          deps.log(
            `rollout ${namespace}/${object.metadata.name}: ${action.type} failed: ${err instanceof Error ? err.message : String(err)}`,
          ),
      },
    )
  }

  get key(): string {
    return `${this.names.namespace}/${this.names.rollout.name}`
  }
}

/** The parts of a spec the driver and the router are built from. */
export function wiringOf(spec: RolloutSpec): string {
  return JSON.stringify([spec.workload.targetRef?.name, spec.trafficRouting ?? null, spec.service])
}

/**
 * The Service of a Rollout the controller runs. Validation requires it for a targetRef workload, and
 * the controller runs only those (a flag rollout is refused before this is read).
 */
export function serviceOf(spec: Pick<RolloutSpec, 'service'>): NonNullable<RolloutSpec['service']> {
  if (spec.service === undefined)
    throw new Error('spec.service is missing: a targetRef workload needs { port: … }')
  return spec.service
}
