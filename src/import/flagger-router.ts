/**
 * A Flagger Canary's router as Kanari's trafficRouting, read as Flagger reads it: `spec.provider`,
 * else the controller's `-mesh-provider` flag, whose value a Canary does not hold — so the router is
 * inferred from the fields only one router reads, and the output says when that is a guess.
 */
import type { Doc, ImportContext } from './context.js'
import type { Source } from './source.js'

const GATEWAY_REFS = ['spec', 'service', 'gatewayRefs']
const INGRESS_REF = ['spec', 'ingressRef']

/** The router named by `spec.provider`, or inferred when there is none. */
export function routerOf(src: Source, ctx: ImportContext, apex: string): Doc | undefined {
  const provider = src.get(['spec', 'provider'])
  if (provider === undefined) return defaultRouter(src, ctx, apex)
  if (typeof provider !== 'string') {
    src.drop(['spec', 'provider'], 'a provider is a string, such as istio or gatewayapi:v1')
    return undefined
  }
  if (!provider.startsWith('gatewayapi'))
    src.drop(
      GATEWAY_REFS,
      `only Flagger's gatewayapi provider reads gatewayRefs; this Canary's provider is ${provider}`,
    )
  const router = namedRouter(src, ctx, apex, provider)
  if (router !== undefined) src.take(['spec', 'provider'])
  else
    src.drop(
      ['spec', 'provider'],
      provider === 'nginx'
        ? 'the nginx provider needs spec.ingressRef.name, the Ingress it shifts'
        : `Kanari has no ${provider} router; use gatewayAPI, istio, nginx or smi`,
    )
  return router
}

function namedRouter(
  src: Source,
  ctx: ImportContext,
  apex: string,
  provider: string,
): Doc | undefined {
  if (provider === 'istio') {
    ctx.note(
      src,
      ['spec', 'provider'],
      `trafficRouting.istio.virtualService is ${apex}, the VirtualService Flagger generated`,
    )
    return { istio: { virtualService: { name: apex } } }
  }
  if (provider.startsWith('gatewayapi')) return gatewayApi(src, ctx, apex, ['spec', 'provider'])
  if (provider === 'linkerd' || provider === 'osm' || provider.startsWith('smi'))
    return { smi: { trafficSplit: apex } }
  if (provider === 'nginx') {
    const ingress = nginxIngress(src)
    return ingress === undefined ? undefined : { nginx: { ingress } }
  }
  if (provider === 'kubernetes') return { none: {} }
  return undefined
}

/**
 * No `spec.provider`: Flagger used its `-mesh-provider` flag — istio when the flag is not given,
 * though its Helm chart and kustomize overlays usually give it. Fields only one router reads say
 * which it was; without them istio is the flag's default, and the note says to check.
 */
function defaultRouter(src: Source, ctx: ImportContext, apex: string): Doc | undefined {
  if (src.items(GATEWAY_REFS).length > 0) return gatewayApi(src, ctx, apex, GATEWAY_REFS)
  const ingress = nginxIngress(src)
  if (ingress !== undefined) {
    ctx.note(
      src,
      INGRESS_REF,
      `no spec.provider, and an ingressRef: Flagger's -mesh-provider was nginx or skipper, the routers that read it; imported as trafficRouting.nginx.ingress ${ingress} (Kanari has no skipper router)`,
    )
    return { nginx: { ingress } }
  }
  for (const [ref, router] of [
    ['routeRef', 'apisix'],
    ['upstreamRef', 'gloo'],
  ] as const)
    if (src.has(['spec', ref])) {
      ctx.note(
        src,
        ['spec', ref],
        `no spec.provider, and a ${ref}: Flagger's -mesh-provider was ${router}, and Kanari has no ${router} router; set spec.trafficRouting to gatewayAPI, istio, nginx or smi`,
      )
      return undefined
    }
  ctx.note(
    src,
    ['spec'],
    `no spec.provider: Flagger used its -mesh-provider flag, istio when not given; imported as trafficRouting.istio.virtualService ${apex}, the VirtualService Flagger generates. Flagger's Helm chart and kustomize installs often set the flag (linkerd, nginx, gatewayapi, kubernetes…): if yours did, set spec.trafficRouting to that router`,
  )
  return { istio: { virtualService: { name: apex } } }
}

function gatewayApi(src: Source, ctx: ImportContext, apex: string, at: string[]): Doc {
  const refs = src.items(GATEWAY_REFS).length
  if (refs > 0)
    src.drop(
      GATEWAY_REFS,
      `the parents of the HTTPRoute Flagger generated (${apex}): Kanari updates that HTTPRoute and does not create it`,
    )
  ctx.note(
    src,
    at,
    `${src.has(['spec', 'provider']) ? '' : "no spec.provider, and service.gatewayRefs: only Flagger's gatewayapi provider reads them, so its -mesh-provider was gatewayapi; "}trafficRouting.gatewayAPI.httpRoute is ${apex}, the HTTPRoute Flagger generated`,
  )
  return { gatewayAPI: { httpRoute: apex } }
}

/** `spec.ingressRef.name`, taken with the rest of the reference. */
function nginxIngress(src: Source): string | undefined {
  const ingress = src.get([...INGRESS_REF, 'name'])
  if (typeof ingress !== 'string') return undefined
  for (const key of ['name', 'kind', 'apiVersion']) src.take([...INGRESS_REF, key])
  return ingress
}
