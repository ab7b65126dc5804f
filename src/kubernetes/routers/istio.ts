/**
 * Istio router: the http routes of the user's VirtualService (networking.istio.io/v1) — one route
 * per header route to the canary host, the weighted route over the primary and canary hosts, and
 * mirroring with `mirror` + `mirrorPercentage` — plus a DestinationRule per host, as Flagger keeps
 * them, so traffic policy can be set per version. The VirtualService's hosts and gateways stay the
 * user's; Kanari owns `spec.http`.
 */
import type { RequestMatch } from '../../engine/plan.js'
import type { MirrorState, TrafficState } from '../../engine/status.js'
import type { KubeApi } from '../kit/api.js'
import { RESOURCES, type KubeObject, type OwnerReference } from '../kit/types.js'
import {
  escapeRegex,
  ObjectRouter,
  type RenderedParts,
  type RouteBackends,
  type Split,
} from './object-router.js'

type Json = Record<string, unknown>

function stringMatch(v: { exact?: string; prefix?: string; regex?: string }): Json {
  if (v.exact !== undefined) return { exact: v.exact }
  if (v.prefix !== undefined) return { prefix: v.prefix }
  return { regex: v.regex ?? '' }
}

function istioMatch(m: RequestMatch): Json {
  if ('headerName' in m)
    return { headers: { [m.headerName.toLowerCase()]: stringMatch(m.headerValue) } }
  const v = m.cookieValue
  const value =
    v.exact !== undefined
      ? `${escapeRegex(v.exact)}(;.*)?`
      : v.prefix !== undefined
        ? `${escapeRegex(v.prefix)}.*`
        : `(?:${v.regex ?? ''}).*`
  return { headers: { cookie: { regex: `^(.*?;\\s*)?${escapeRegex(m.cookieName)}=${value}$` } } }
}

export interface IstioOptions {
  /** Name of the weighted http route (spec.trafficRouting.istio.virtualService.routes[0]). */
  routeName?: string
  /** Owner of the DestinationRules Kanari creates (the Rollout). */
  owner?: OwnerReference
}

export class IstioRouter extends ObjectRouter {
  readonly capabilities = { weights: true, headerRoutes: true, mirror: true }
  protected readonly resource = RESOURCES.virtualServices
  #prepared = false

  constructor(
    client: KubeApi,
    namespace: string,
    virtualService: string,
    backends: RouteBackends,
    private readonly options: IstioOptions = {},
  ) {
    super(client, namespace, virtualService, backends)
  }

  protected get label(): string {
    return `Istio VirtualService ${this.namespace}/${this.objectName}`
  }

  #destination(host: string, weight?: number): Json {
    return {
      destination: { host, port: { number: this.backends.port } },
      ...(weight === undefined ? {} : { weight }),
    }
  }

  #weighted(split: Split): Json[] {
    return [
      this.#destination(this.backends.primaryService, split.primary),
      this.#destination(this.backends.canaryService, split.canary),
    ]
  }

  #mirrorFields(mirror: MirrorState): Json {
    return {
      mirror: { host: this.backends.canaryService, port: { number: this.backends.port } },
      mirrorPercentage: { value: mirror.percentage },
    }
  }

  #headerRoutes(traffic: TrafficState): Json[] {
    return traffic.headerRoutes.map((route, i) => ({
      name: `kanari-header-${i}`,
      match: route.match.map(istioMatch),
      route: [this.#destination(this.backends.canaryService, 100)],
    }))
  }

  #mirrorRoute(mirror: MirrorState, split: Split): Json {
    return {
      name: 'kanari-mirror',
      match: mirror.match.map(istioMatch),
      route: this.#weighted(split),
      ...this.#mirrorFields(mirror),
    }
  }

  get #weightedName(): string {
    return this.options.routeName ?? 'kanari-weighted'
  }

  protected render(traffic: TrafficState, split: Split): Json {
    const mirror = traffic.mirror
    const wholeMirror = mirror !== null && mirror.match.length === 0
    return {
      spec: {
        http: [
          ...this.#headerRoutes(traffic),
          ...(mirror !== null && !wholeMirror ? [this.#mirrorRoute(mirror, split)] : []),
          {
            name: this.#weightedName,
            route: this.#weighted(split),
            ...(wholeMirror ? this.#mirrorFields(mirror) : {}),
          },
        ],
      },
    }
  }

  protected parts(traffic: TrafficState, split: Split): RenderedParts {
    const routes = this.#headerRoutes(traffic)
    const mirror = traffic.mirror
    return {
      headerRoutes: traffic.headerRoutes.map((route, i) => ({ route, part: routes[i] })),
      mirror:
        mirror === null
          ? null
          : {
              state: mirror,
              part:
                mirror.match.length === 0
                  ? this.#mirrorFields(mirror)
                  : this.#mirrorRoute(mirror, split),
            },
    }
  }

  #http(object: KubeObject): Json[] {
    return (object.spec as { http?: Json[] } | undefined)?.http ?? []
  }

  protected presentParts(object: KubeObject): unknown[] {
    const out: unknown[] = []
    for (const route of this.#http(object)) {
      const name = typeof route.name === 'string' ? route.name : ''
      if (name === this.#weightedName) {
        if (route.mirror !== undefined)
          out.push({ mirror: route.mirror, mirrorPercentage: route.mirrorPercentage })
      } else if (name.startsWith('kanari-')) out.push(route)
    }
    return out
  }

  protected weightsIn(object: KubeObject): Split | undefined {
    const route = this.#http(object).find((r) => r.name === this.#weightedName)
    if (route === undefined) return undefined
    const dests = (route.route ?? []) as { destination?: { host?: string }; weight?: number }[]
    const weightOf = (host: string): number =>
      dests
        .filter((d) => d.destination?.host === host)
        .reduce((n, d) => n + (d.weight ?? (dests.length === 1 ? 100 : 0)), 0)
    return {
      primary: weightOf(this.backends.primaryService),
      canary: weightOf(this.backends.canaryService),
    }
  }

  /** A DestinationRule per host, so each version can carry its own traffic policy. */
  protected override async prepare(): Promise<void> {
    if (this.#prepared) return
    for (const host of [this.backends.primaryService, this.backends.canaryService]) {
      await this.client.apply(RESOURCES.destinationRules, this.namespace, {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: {
          name: host,
          namespace: this.namespace,
          labels: { 'app.kubernetes.io/managed-by': 'kanari' },
          ...(this.options.owner === undefined ? {} : { ownerReferences: [this.options.owner] }),
        },
        spec: { host },
      })
    }
    this.#prepared = true
  }
}
