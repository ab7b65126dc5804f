/**
 * What the Kubernetes traffic routers share: the traffic state becomes the managed part of one
 * routing object (an HTTPRoute's rules, a VirtualService's http routes, a canary Ingress's
 * annotations, a TrafficSplit's backends), applied with Kanari's field manager together with an
 * annotation recording the state it expresses. `verify` reads the object back: weights from the
 * object itself, header routes and the mirror only where their rendering is really there — so a
 * hand edit or another controller's write reads as drift and the runner puts the state back.
 */
import type { RouterCapabilities, TrafficRouter } from '../../controller/ports.js'
import { checkRoutable } from '../../controller/routable.js'
import { NotFoundError } from '../../errors.js'
import type { HeaderRouteState, MirrorState, TrafficState } from '../../engine/status.js'
import type { KubeApi } from '../kit/api.js'
import { isNotFound } from '../kit/errors.js'
import { apiVersionOf, type KubeObject, type ResourceRef } from '../kit/types.js'
import type { Backend } from '../workloads/deployment-workloads.js'

export const TRAFFIC_ANNOTATION = 'kanari.dev/traffic'

/** The Services a router sends traffic to, and where stable's share belongs right now. */
export interface RouteBackends {
  primaryService: string
  canaryService: string
  port: number
  stableBackend(): Backend
}

/** Percent of traffic per Service. */
export interface Split {
  primary: number
  canary: number
}

export interface Recorded {
  traffic: TrafficState
  /** The Service that carried stable's share when applied. */
  stable: Backend
}

/** Weights per Service: the canary's share on the canary Service, stable's wherever it is. */
export function splitOf(traffic: TrafficState, stable: Backend): Split {
  const split: Split = { primary: 0, canary: 0 }
  split[stable] += 100 - traffic.canaryWeight
  split.canary += traffic.canaryWeight
  return split
}

/** The canary's share read back from per-Service weights (whatever they add up to). */
export function canaryWeightOf(weights: Split, stable: Backend): number {
  const total = weights.primary + weights.canary
  if (total <= 0) return 0
  const stableShare = stable === 'primary' ? weights.primary : total - weights.primary
  return Math.round(100 - (100 * stableShare) / total)
}

/** Key order does not matter when comparing what was rendered with what is there. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : v,
  )
}

/** The parts of a rendering, to find each in the object. */
export interface RenderedParts {
  headerRoutes: { route: HeaderRouteState; part: unknown }[]
  mirror: { state: MirrorState; part: unknown } | null
}

export abstract class ObjectRouter implements TrafficRouter {
  abstract readonly capabilities: RouterCapabilities
  /** Name in messages: "Gateway API HTTPRoute default/web". */
  protected abstract readonly label: string
  protected abstract readonly resource: ResourceRef

  constructor(
    protected readonly client: KubeApi,
    protected readonly namespace: string,
    protected readonly objectName: string,
    protected readonly backends: RouteBackends,
  ) {}

  /** Refuses what this router cannot express beyond the capability flags (throws ConflictError). */
  protected checkExpressible?(traffic: TrafficState): void

  /** The managed part of the object for this state (merged into the applied object). */
  protected abstract render(traffic: TrafficState, split: Split): Record<string, unknown>

  /** The parts of the rendering to look for when reading back. */
  protected abstract parts(traffic: TrafficState, split: Split): RenderedParts

  /**
   * Every part of the object Kanari manages besides the weighted backends (header routes, mirror
   * rules or filters), in the form `parts` renders them.
   */
  protected abstract presentParts(object: KubeObject): unknown[]

  /** Weights per Service as they are in the object (undefined when its weighted part is gone). */
  protected abstract weightsIn(object: KubeObject): Split | undefined

  /** Anything else to put in place before the routing object (e.g. Istio's DestinationRules). */
  protected prepare(): Promise<void> {
    return Promise.resolve()
  }

  /** The object the state is applied to (SSA body without the managed part). */
  protected target(): KubeObject {
    return {
      apiVersion: apiVersionOf(this.resource),
      kind: this.resource.kind,
      metadata: { name: this.objectName, namespace: this.namespace },
    }
  }

  async apply(traffic: TrafficState): Promise<void> {
    checkRoutable(this.label, this.capabilities, traffic)
    this.checkExpressible?.(traffic)
    await this.prepare()
    const stable = this.backends.stableBackend()
    const recorded: Recorded = { traffic, stable }
    const body = this.target()
    const rendered = this.render(traffic, splitOf(traffic, stable)) as Partial<KubeObject>
    await this.client.apply(this.resource, this.namespace, {
      ...body,
      ...rendered,
      metadata: {
        ...body.metadata,
        ...rendered.metadata,
        annotations: {
          ...body.metadata.annotations,
          ...rendered.metadata?.annotations,
          [TRAFFIC_ANNOTATION]: JSON.stringify(recorded),
        },
      },
    })
  }

  protected async read(): Promise<KubeObject | undefined> {
    try {
      return await this.client.get<KubeObject>(this.resource, this.namespace, this.objectName)
    } catch (err) {
      if (isNotFound(err)) return undefined
      throw err
    }
  }

  protected missing(): never {
    throw new NotFoundError(`${this.label} does not exist`, {
      hint: `create it (see docs/kubernetes.md), or fix spec.trafficRouting`,
    })
  }

  /**
   * Whether the data plane reports the routing object as it is now. Only a router whose object
   * carries such a report (an HTTPRoute's status) can say no; the others answer yes.
   */
  observed(): Promise<boolean> {
    return Promise.resolve(true)
  }

  /** What the routing object records, or undefined before Kanari applied anything to it. */
  async recorded(): Promise<Recorded | undefined> {
    const object = await this.read()
    return object === undefined ? undefined : recordedIn(object)
  }

  async verify(): Promise<TrafficState | null> {
    const object = await this.read()
    if (object === undefined) return this.missingOnVerify()
    const recorded = recordedIn(object)
    if (recorded === undefined) return null
    const { traffic, stable } = recorded
    const present = new Set(this.presentParts(object).map(canonicalJson))
    const parts = this.parts(traffic, splitOf(traffic, stable))
    const weights = this.weightsIn(object)
    const headerRoutes = parts.headerRoutes
      .filter((p) => present.has(canonicalJson(p.part)))
      .map((p) => p.route)
    const mirror =
      parts.mirror !== null && present.has(canonicalJson(parts.mirror.part))
        ? parts.mirror.state
        : null
    // Managed parts that the recorded state does not explain show up as a route to nowhere.
    if (present.size > parts.headerRoutes.length + (parts.mirror === null ? 0 : 1))
      headerRoutes.push({ name: 'unrecognised routing in the object', match: [] })
    return {
      ...traffic,
      canaryWeight: weights === undefined ? 0 : canaryWeightOf(weights, stable),
      headerRoutes,
      mirror,
    }
  }

  /** verify() when the object is gone: routers that create their object read nothing. */
  protected missingOnVerify(): TrafficState | null {
    return this.missing()
  }
}

export function recordedIn(object: KubeObject): Recorded | undefined {
  const text = object.metadata.annotations?.[TRAFFIC_ANNOTATION]
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as Recorded
  } catch {
    return undefined
  }
}

/** RE2 / PCRE escape of a literal, for prefix and cookie matches expressed as regular expressions. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
}
