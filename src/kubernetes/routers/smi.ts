/**
 * SMI router: a TrafficSplit (split.smi-spec.io/v1alpha2, as Linkerd's SMI extension serves it)
 * that Kanari creates for the apex Service, with the primary and canary Services as its weighted
 * backends. SMI has no header routes or mirroring at this version: such traffic is refused.
 */
import type { TrafficState } from '../../engine/status.js'
import type { KubeApi } from '../kit/api.js'
import { RESOURCES, type KubeObject, type OwnerReference } from '../kit/types.js'
import {
  ObjectRouter,
  type RenderedParts,
  type RouteBackends,
  type Split,
} from './object-router.js'

export class SmiRouter extends ObjectRouter {
  readonly capabilities = { weights: true, headerRoutes: false, mirror: false }
  protected readonly resource = RESOURCES.trafficSplits

  constructor(
    client: KubeApi,
    namespace: string,
    trafficSplit: string,
    private readonly apexService: string,
    backends: RouteBackends,
    private readonly owner?: OwnerReference,
  ) {
    super(client, namespace, trafficSplit, backends)
  }

  protected get label(): string {
    return `SMI TrafficSplit ${this.namespace}/${this.objectName}`
  }

  protected render(_traffic: TrafficState, split: Split): Record<string, unknown> {
    return {
      metadata: {
        labels: { 'app.kubernetes.io/managed-by': 'kanari' },
        ...(this.owner === undefined ? {} : { ownerReferences: [this.owner] }),
      },
      spec: {
        service: this.apexService,
        backends: [
          { service: this.backends.primaryService, weight: split.primary },
          { service: this.backends.canaryService, weight: split.canary },
        ],
      },
    }
  }

  protected parts(): RenderedParts {
    return { headerRoutes: [], mirror: null }
  }

  protected presentParts(): unknown[] {
    return []
  }

  protected weightsIn(object: KubeObject): Split | undefined {
    const backends =
      (object.spec as { backends?: { service?: string; weight?: number }[] } | undefined)
        ?.backends ?? []
    if (backends.length === 0) return undefined
    const weightOf = (service: string): number =>
      backends.filter((b) => b.service === service).reduce((n, b) => n + (b.weight ?? 0), 0)
    return {
      primary: weightOf(this.backends.primaryService),
      canary: weightOf(this.backends.canaryService),
    }
  }

  /** Kanari creates the TrafficSplit: before the first apply there is none. */
  protected override missingOnVerify(): TrafficState | null {
    return null
  }
}
