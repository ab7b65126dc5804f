/**
 * Gateway API router: the rules of the user's HTTPRoute (gateway.networking.k8s.io/v1). One rule
 * per header route (its matches to the canary Service), the weighted rule (primary and canary
 * backendRefs), and mirroring as a `RequestMirror` filter with `percent` — on the weighted rule, or
 * on a rule of its own when the mirror has matches. The HTTPRoute's parentRefs and hostnames stay
 * the user's; Kanari owns `spec.rules`. Every default the API server would add is written out, so
 * what is read back compares equal to what was rendered.
 */
import type { RequestMatch } from '../../engine/plan.js'
import type { MirrorState, TrafficState } from '../../engine/status.js'
import type { KubeObject } from '../kit/types.js'
import { RESOURCES } from '../kit/types.js'
import { escapeRegex, ObjectRouter, type RenderedParts, type Split } from './object-router.js'

type Json = Record<string, unknown>

const ROOT = { type: 'PathPrefix', value: '/' }

type RouteWithStatus = KubeObject & {
  status?: { parents?: { conditions?: { type: string; observedGeneration?: number }[] }[] }
}

function headerMatch(m: RequestMatch): Json {
  if ('headerName' in m) {
    const v = m.headerValue
    if (v.exact !== undefined) return { type: 'Exact', name: m.headerName, value: v.exact }
    const regex = v.prefix !== undefined ? `^${escapeRegex(v.prefix)}` : (v.regex ?? '')
    return { type: 'RegularExpression', name: m.headerName, value: regex }
  }
  const v = m.cookieValue
  const value =
    v.exact !== undefined
      ? `${escapeRegex(v.exact)}(;|$)`
      : v.prefix !== undefined
        ? escapeRegex(v.prefix)
        : `(?:${v.regex ?? ''})`
  return {
    type: 'RegularExpression',
    name: 'Cookie',
    value: `(^|;\\s*)${escapeRegex(m.cookieName)}=${value}`,
  }
}

export class GatewayApiRouter extends ObjectRouter {
  readonly capabilities = { weights: true, headerRoutes: true, mirror: true }
  protected readonly resource = RESOURCES.httpRoutes

  protected get label(): string {
    return `Gateway API HTTPRoute ${this.namespace}/${this.objectName}`
  }

  #backendRef(service: string, weight?: number): Json {
    return {
      group: '',
      kind: 'Service',
      name: service,
      port: this.backends.port,
      ...(weight === undefined ? {} : { weight }),
    }
  }

  #weighted(split: Split): Json[] {
    return [
      this.#backendRef(this.backends.primaryService, split.primary),
      this.#backendRef(this.backends.canaryService, split.canary),
    ]
  }

  #mirrorFilter(mirror: MirrorState): Json {
    return {
      type: 'RequestMirror',
      requestMirror: {
        backendRef: this.#backendRef(this.backends.canaryService),
        percent: mirror.percentage,
      },
    }
  }

  #headerRules(traffic: TrafficState): Json[] {
    return traffic.headerRoutes.map((route, i) => ({
      name: `kanari-header-${i}`,
      matches: route.match.map((m) => ({ path: ROOT, headers: [headerMatch(m)] })),
      backendRefs: [this.#backendRef(this.backends.canaryService, 1)],
    }))
  }

  #mirrorRule(mirror: MirrorState, split: Split): Json {
    return {
      name: 'kanari-mirror',
      matches: mirror.match.map((m) => ({ path: ROOT, headers: [headerMatch(m)] })),
      backendRefs: this.#weighted(split),
      filters: [this.#mirrorFilter(mirror)],
    }
  }

  protected render(traffic: TrafficState, split: Split): Json {
    const mirror = traffic.mirror
    const wholeMirror = mirror !== null && mirror.match.length === 0
    const rules: Json[] = [
      ...this.#headerRules(traffic),
      ...(mirror !== null && !wholeMirror ? [this.#mirrorRule(mirror, split)] : []),
      {
        name: 'kanari-weighted',
        matches: [{ path: ROOT }],
        backendRefs: this.#weighted(split),
        ...(wholeMirror ? { filters: [this.#mirrorFilter(mirror)] } : {}),
      },
    ]
    return { spec: { rules } }
  }

  protected parts(traffic: TrafficState, split: Split): RenderedParts {
    const rules = this.#headerRules(traffic)
    const mirror = traffic.mirror
    return {
      headerRoutes: traffic.headerRoutes.map((route, i) => ({ route, part: rules[i] })),
      mirror:
        mirror === null
          ? null
          : {
              state: mirror,
              part:
                mirror.match.length === 0
                  ? this.#mirrorFilter(mirror)
                  : this.#mirrorRule(mirror, split),
            },
    }
  }

  /**
   * Every parent (Gateway) of the route reports it Accepted at its current generation: the gateway
   * has read the rules as they are now. A route no gateway reports on yet says nothing: true.
   */
  override async observed(): Promise<boolean> {
    const route = await this.read()
    if (route === undefined) return true
    const generation = route.metadata.generation ?? 0
    const parents = (route as RouteWithStatus).status?.parents ?? []
    return parents.every((parent) =>
      (parent.conditions ?? []).some(
        (c) => c.type === 'Accepted' && (c.observedGeneration ?? 0) >= generation,
      ),
    )
  }

  #rules(object: KubeObject): Json[] {
    const spec = object.spec as { rules?: Json[] } | undefined
    return spec?.rules ?? []
  }

  protected presentParts(object: KubeObject): unknown[] {
    const out: unknown[] = []
    for (const rule of this.#rules(object)) {
      const name = typeof rule.name === 'string' ? rule.name : ''
      if (name === 'kanari-weighted') out.push(...((rule.filters as unknown[] | undefined) ?? []))
      else if (name.startsWith('kanari-')) out.push(rule)
    }
    return out
  }

  protected weightsIn(object: KubeObject): Split | undefined {
    const rule = this.#rules(object).find((r) => r.name === 'kanari-weighted')
    if (rule === undefined) return undefined
    const refs = (rule.backendRefs as { name?: string; weight?: number }[] | undefined) ?? []
    const weightOf = (service: string): number =>
      refs
        .filter((r) => r.name === service)
        .reduce((n, r) => n + (r.weight === undefined ? 1 : r.weight), 0)
    return {
      primary: weightOf(this.backends.primaryService),
      canary: weightOf(this.backends.canaryService),
    }
  }
}
