/**
 * The router when no mesh or gateway is named (`trafficRouting.none` or nothing): the apex Service
 * is the route. 0% and 100% switch its selector between stable's pods and the canary's (blue-green's
 * active/preview switch); a split in between adds some of the canary's endpoints to the apex beside
 * stable's, in an EndpointSlice Kanari manages, so that kube-proxy spreads requests by endpoint
 * count — the replica ratio, as close to the weight as whole pods allow.
 */
import type { TrafficRouter } from '../../controller/ports.js'
import { checkRoutable } from '../../controller/routable.js'
import type { TrafficState } from '../../engine/status.js'
import type { KubeApi } from '../kit/api.js'
import { isNotFound } from '../kit/errors.js'
import { RESOURCES, type KubeObject, type ResourceRef } from '../kit/types.js'
import {
  LABEL_ROLE,
  LABEL_ROLLOUT,
  ownerRef,
  type Backend,
  type WorkloadNames,
} from '../workloads/deployment-workloads.js'
import type { ServicePort, ServiceSelectors } from '../workloads/services.js'
import {
  recordedIn,
  TRAFFIC_ANNOTATION,
  type Recorded,
  type RouteBackends,
} from './object-router.js'

export const ENDPOINT_SLICES: ResourceRef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  plural: 'endpointslices',
  kind: 'EndpointSlice',
}

const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by'
/** A label value (no slash): the EndpointSlice controller leaves slices of other managers alone. */
const KANARI_MANAGER = 'kanari.dev'

interface Endpoint {
  addresses: string[]
  conditions?: { ready?: boolean }
  targetRef?: unknown
  nodeName?: string
}
type EndpointSlice = KubeObject & {
  addressType?: string
  endpoints?: Endpoint[] | null
}

/** Canary endpoints to add beside `stable` ready ones for `weight` percent (at least one). */
export function canaryEndpointCount(stable: number, canary: number, weight: number): number {
  if (weight <= 0 || canary === 0) return 0
  if (weight >= 100 || stable === 0) return canary
  return Math.min(canary, Math.max(1, Math.round((stable * weight) / (100 - weight))))
}

export class ReplicaRatioRouter implements TrafficRouter {
  readonly capabilities = { weights: true, headerRoutes: false, mirror: false }

  constructor(
    private readonly client: KubeApi,
    private readonly names: WorkloadNames,
    private readonly backends: RouteBackends,
    private readonly selectors: ServiceSelectors,
    private readonly port: ServicePort,
    private readonly targetPort: () => number | string,
  ) {}

  get #sliceName(): string {
    return `${this.names.service}-kanari-canary`
  }

  async #readyEndpoints(service: string): Promise<Endpoint[]> {
    const slices = await this.client.list<EndpointSlice>(ENDPOINT_SLICES, this.names.namespace, {
      labelSelector: `kubernetes.io/service-name=${service},${MANAGED_BY}!=${KANARI_MANAGER}`,
    })
    return slices.items
      .flatMap((s) => s.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false)
      .sort((a, b) => (a.addresses[0] ?? '').localeCompare(b.addresses[0] ?? ''))
  }

  /** Which pods the apex selects, and which canary endpoints sit beside them, for a state. */
  async #plan(
    traffic: TrafficState,
    stable: Backend,
  ): Promise<{ apex: Backend; extra: Endpoint[] }> {
    const w = traffic.canaryWeight
    if (w >= 100) return { apex: 'canary', extra: [] }
    if (w <= 0 || stable === 'canary') return { apex: stable, extra: [] }
    const stableReady = await this.#readyEndpoints(this.backends.primaryService)
    const canaryReady = await this.#readyEndpoints(this.backends.canaryService)
    const k = canaryEndpointCount(stableReady.length, canaryReady.length, w)
    return { apex: stable, extra: canaryReady.slice(0, k) }
  }

  async apply(traffic: TrafficState): Promise<void> {
    checkRoutable('replica-ratio (no router named)', this.capabilities, traffic)
    const stable = this.backends.stableBackend()
    const plan = await this.#plan(traffic, stable)
    const recorded: Recorded = { traffic, stable }
    await this.client.apply(RESOURCES.services, this.names.namespace, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: this.names.service,
        namespace: this.names.namespace,
        labels: { [LABEL_ROLLOUT]: this.names.rollout.name, [LABEL_ROLE]: 'apex' },
        annotations: { [TRAFFIC_ANNOTATION]: JSON.stringify(recorded) },
        ownerReferences: [ownerRef(this.names.rollout)],
      },
      spec: {
        type: 'ClusterIP',
        selector: plan.apex === 'primary' ? this.selectors.primary : this.selectors.canary,
        ports: [
          {
            name: this.port.name,
            port: this.port.port,
            targetPort: this.targetPort(),
            protocol: 'TCP',
          },
        ],
      },
    })
    if (plan.extra.length === 0) {
      try {
        await this.client.delete(ENDPOINT_SLICES, this.names.namespace, this.#sliceName)
      } catch (err) {
        if (!isNotFound(err)) throw err
      }
      return
    }
    const targetPort = this.targetPort()
    await this.client.apply(ENDPOINT_SLICES, this.names.namespace, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: this.#sliceName,
        namespace: this.names.namespace,
        labels: {
          'kubernetes.io/service-name': this.names.service,
          [MANAGED_BY]: KANARI_MANAGER,
          [LABEL_ROLLOUT]: this.names.rollout.name,
        },
        ownerReferences: [ownerRef(this.names.rollout)],
      },
      addressType: 'IPv4',
      endpoints: plan.extra.map((e) => ({
        addresses: e.addresses,
        conditions: { ready: true },
        ...(e.nodeName === undefined ? {} : { nodeName: e.nodeName }),
        ...(e.targetRef === undefined ? {} : { targetRef: e.targetRef }),
      })),
      ports: [
        {
          name: this.port.name,
          port: typeof targetPort === 'number' ? targetPort : this.port.port,
          protocol: 'TCP',
        },
      ],
    })
  }

  /** What the apex Service records of the last apply. */
  async recorded(): Promise<Recorded | undefined> {
    const apex = await this.client.find<KubeObject>(
      RESOURCES.services,
      this.names.namespace,
      this.names.service,
    )
    return apex === undefined ? undefined : recordedIn(apex)
  }

  /** What the apex really does: its selector, and the canary endpoints Kanari added beside it. */
  async verify(): Promise<TrafficState | null> {
    const apex = await this.client.find<KubeObject>(
      RESOURCES.services,
      this.names.namespace,
      this.names.service,
    )
    if (apex === undefined) return null
    const recorded = recordedIn(apex)
    if (recorded === undefined) return null
    const selector = (apex.spec as { selector?: Record<string, string> } | undefined)?.selector
    const selects: Backend | undefined =
      JSON.stringify(selector) === JSON.stringify(this.selectors.canary)
        ? 'canary'
        : JSON.stringify(selector) === JSON.stringify(this.selectors.primary)
          ? 'primary'
          : undefined
    const slice = await this.client.find<EndpointSlice>(
      ENDPOINT_SLICES,
      this.names.namespace,
      this.#sliceName,
    )
    const added = new Set((slice?.endpoints ?? []).map((e) => e.addresses[0] ?? ''))
    const plan = await this.#plan(recorded.traffic, recorded.stable)
    if (selects === undefined || selects !== plan.apex)
      return {
        ...recorded.traffic,
        canaryWeight: selects === 'canary' ? 100 : 0,
      }
    if (plan.apex === 'canary') return recorded.traffic
    if (recorded.traffic.canaryWeight <= 0 && added.size === 0) return recorded.traffic
    // Canary endpoints really beside stable's: those added that are still ready canary pods.
    const canaryReady = new Set(
      (await this.#readyEndpoints(this.backends.canaryService)).map((e) => e.addresses[0] ?? ''),
    )
    const live = [...added].filter((a) => canaryReady.has(a)).length
    if (live === plan.extra.length) return recorded.traffic
    const stableReady = (await this.#readyEndpoints(this.backends.primaryService)).length
    const total = stableReady + live
    return { ...recorded.traffic, canaryWeight: total === 0 ? 0 : Math.round((100 * live) / total) }
  }
}
