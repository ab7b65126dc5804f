/**
 * NGINX Ingress router (legacy: community ingress-nginx was retired in March 2026): a canary
 * Ingress `<ingress>-canary`, a copy of the user's Ingress with its backends on the canary Service,
 * steered by ingress-nginx's canary annotations — `canary-weight`, and one header route as
 * `canary-by-header` with `-value` or `-pattern`, or a cookie route as `canary-by-cookie`. The user's
 * Ingress sends the rest to the apex Service, which selects stable's pods. NGINX cannot mirror, nor
 * express more than one header or cookie match: such traffic is refused, never half applied.
 */
import { ConflictError } from '../../errors.js'
import type { RequestMatch } from '../../engine/plan.js'
import type { TrafficState } from '../../engine/status.js'
import type { KubeApi } from '../kit/api.js'
import { RESOURCES, type KubeObject, type OwnerReference } from '../kit/types.js'
import {
  escapeRegex,
  ObjectRouter,
  type RenderedParts,
  type RouteBackends,
  type Split,
} from './object-router.js'

const A = 'nginx.ingress.kubernetes.io/'
const CANARY_KEYS = [
  'canary-by-header',
  'canary-by-header-value',
  'canary-by-header-pattern',
  'canary-by-cookie',
].map((k) => A + k)

type Json = Record<string, unknown>

/** The annotations of one match, or a reason it cannot be expressed. */
function matchAnnotations(m: RequestMatch): Record<string, string> | string {
  if ('headerName' in m) {
    const v = m.headerValue
    if (v.exact !== undefined)
      return { [`${A}canary-by-header`]: m.headerName, [`${A}canary-by-header-value`]: v.exact }
    const pattern = v.prefix !== undefined ? `^${escapeRegex(v.prefix)}` : (v.regex ?? '')
    return { [`${A}canary-by-header`]: m.headerName, [`${A}canary-by-header-pattern`]: pattern }
  }
  if (m.cookieValue.exact === 'always') return { [`${A}canary-by-cookie`]: m.cookieName }
  return `a cookie match other than ${m.cookieName}=always (ingress-nginx routes a cookie only when its value is "always")`
}

export class NginxRouter extends ObjectRouter {
  readonly capabilities = { weights: true, headerRoutes: true, mirror: false }
  protected readonly resource = RESOURCES.ingresses
  #source: KubeObject | undefined

  constructor(
    client: KubeApi,
    namespace: string,
    private readonly ingress: string,
    backends: RouteBackends,
    private readonly owner?: OwnerReference,
  ) {
    super(client, namespace, `${ingress}-canary`, backends)
  }

  protected get label(): string {
    return `NGINX Ingress ${this.namespace}/${this.ingress}`
  }

  protected override checkExpressible(traffic: TrafficState): void {
    const matches = traffic.headerRoutes.flatMap((r) => r.match)
    const problems: string[] = []
    if (traffic.headerRoutes.length > 1 || matches.length > 1)
      problems.push(
        `${matches.length} header or cookie matches (ingress-nginx takes one canary header or cookie)`,
      )
    for (const m of matches) {
      const a = matchAnnotations(m)
      if (typeof a === 'string') problems.push(a)
    }
    if (problems.length > 0)
      throw new ConflictError(`the ${this.label} router cannot carry out ${problems.join(', ')}`, {
        hint: 'use a single header match, or the Gateway API or Istio router',
      })
  }

  /** The user's Ingress, copied for the canary. */
  protected override async prepare(): Promise<void> {
    const source = await this.client.find<KubeObject>(this.resource, this.namespace, this.ingress)
    if (source === undefined)
      throw new ConflictError(`${this.label} does not exist`, {
        hint: 'create the Ingress (backend: the apex Service), or fix spec.trafficRouting.nginx.ingress',
      })
    this.#source = source
  }

  #annotations(traffic: TrafficState, split: Split): Record<string, string> {
    const out: Record<string, string> = {
      [`${A}canary`]: 'true',
      [`${A}canary-weight`]: String(split.canary),
      [`${A}canary-weight-total`]: '100',
    }
    const first = traffic.headerRoutes[0]?.match[0]
    const a = first === undefined ? undefined : matchAnnotations(first)
    if (typeof a === 'object') Object.assign(out, a)
    return out
  }

  /** The user's rules with every backend on the canary Service. */
  #canaryRules(): unknown[] {
    const spec = (this.#source?.spec ?? {}) as { rules?: Json[] }
    return (spec.rules ?? []).map((rule) => {
      const copy = structuredClone(rule)
      const http = copy.http as { paths?: Json[] } | undefined
      for (const path of http?.paths ?? [])
        path.backend = {
          service: { name: this.backends.canaryService, port: { number: this.backends.port } },
        }
      return copy
    })
  }

  protected render(traffic: TrafficState): Json {
    const spec = (this.#source?.spec ?? {}) as Json
    return {
      metadata: {
        annotations: this.#annotations(traffic, { primary: 0, canary: traffic.canaryWeight }),
        labels: { 'app.kubernetes.io/managed-by': 'kanari' },
        ...(this.owner === undefined ? {} : { ownerReferences: [this.owner] }),
      },
      spec: {
        ...(spec.ingressClassName === undefined ? {} : { ingressClassName: spec.ingressClassName }),
        ...(spec.tls === undefined ? {} : { tls: spec.tls }),
        rules: this.#canaryRules(),
      },
    }
  }

  protected parts(traffic: TrafficState): RenderedParts {
    return {
      headerRoutes: traffic.headerRoutes.map((route) => {
        const first = route.match[0]
        const a = first === undefined ? {} : matchAnnotations(first)
        return { route, part: typeof a === 'string' ? {} : a }
      }),
      mirror: null,
    }
  }

  protected presentParts(object: KubeObject): unknown[] {
    const annotations = object.metadata.annotations ?? {}
    const present: Record<string, string> = {}
    for (const k of CANARY_KEYS) if (annotations[k] !== undefined) present[k] = annotations[k]
    return Object.keys(present).length === 0 ? [] : [present]
  }

  protected weightsIn(object: KubeObject): Split | undefined {
    const annotations = object.metadata.annotations ?? {}
    if (annotations[`${A}canary`] !== 'true') return undefined
    const weight = Number(annotations[`${A}canary-weight`] ?? '0')
    const total = Number(annotations[`${A}canary-weight-total`] ?? '100')
    const canary = Number.isFinite(weight) ? weight : 0
    return { primary: Math.max(0, total - canary), canary }
  }

  /** Before the first apply there is no canary Ingress: nothing is routed yet. */
  protected override missingOnVerify(): TrafficState | null {
    return null
  }
}
