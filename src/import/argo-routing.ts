/**
 * An Argo Rollouts canary's `trafficRouting` as Kanari's one router: Istio, NGINX, SMI and the
 * Gateway API plugin; what Kanari cannot express is given up with why.
 */
import type { Doc, ImportContext } from './context.js'
import type { Path, Source } from './source.js'

/** What Argo's service fields were for: Kanari makes its own. */
export const SERVICES =
  'Kanari creates and names the services it routes between; on Kubernetes it needs only the Deployment'

/** `trafficRouting` as Kanari's one router; what it cannot express is given up. */
export function routingOf(src: Source, at: Path, ctx: ImportContext): Doc | undefined {
  const routers: Doc[] = []
  if (src.has([...at, 'istio'])) {
    const istio = [...at, 'istio']
    let vs: Path | undefined
    if (src.has([...istio, 'virtualService'])) vs = [...istio, 'virtualService']
    else if (src.items([...istio, 'virtualServices']).length > 0) {
      vs = [...istio, 'virtualServices', 0]
      src.items([...istio, 'virtualServices']).forEach((_v, i) => {
        if (i > 0)
          src.drop(
            [...istio, 'virtualServices', i],
            "Kanari's istio router updates one VirtualService",
          )
      })
    }
    if (vs !== undefined) {
      const virtualService: Doc = { name: src.string([...vs, 'name']) ?? '' }
      const routes = src.get([...vs, 'routes'])
      if (Array.isArray(routes)) virtualService.routes = src.take([...vs, 'routes'])
      src.drop([...vs, 'tlsRoutes'], "Kanari's istio router shifts HTTP routes only")
      src.drop([...vs, 'tcpRoutes'], "Kanari's istio router shifts HTTP routes only")
      routers.push({ istio: { virtualService } })
    }
    src.drop(
      [...istio, 'destinationRule'],
      "Kanari's istio router splits by the canary and stable hosts, not by DestinationRule subsets",
    )
  }
  if (src.has([...at, 'nginx'])) {
    const nginx = [...at, 'nginx']
    const stable = src.string([...nginx, 'stableIngress'])
    const others = src.items([...nginx, 'stableIngresses'])
    const ingress = stable ?? (typeof others[0] === 'string' ? others[0] : undefined)
    if (stable === undefined && ingress !== undefined) src.take([...nginx, 'stableIngresses', 0])
    others.forEach((_o, i) => {
      if (stable !== undefined || i > 0)
        src.drop([...nginx, 'stableIngresses', i], "Kanari's nginx router manages one Ingress")
    })
    for (const key of [
      'annotationPrefix',
      'additionalIngressAnnotations',
      'canaryIngressAnnotations',
    ])
      src.drop([...nginx, key], "Kanari's nginx router writes the standard canary annotations only")
    if (ingress !== undefined) routers.push({ nginx: { ingress } })
  }
  if (src.has([...at, 'smi'])) {
    const smi = [...at, 'smi']
    const name = src.string([...smi, 'trafficSplitName'])
    src.drop([...smi, 'rootService'], SERVICES)
    // `smi: {}` says "route with SMI" and nothing more: carried over as it is.
    if (src.keys(smi).length === 0) src.take(smi)
    routers.push({ smi: name === undefined ? {} : { trafficSplit: name } })
  }
  for (const plugin of src.keys([...at, 'plugins'])) {
    const p = [...at, 'plugins', plugin]
    if (plugin !== 'argoproj-labs/gatewayAPI') {
      src.drop(p, `Kanari has no ${plugin} router`)
      continue
    }
    const route = src.string([...p, 'httpRoute'])
    const routes = src.items([...p, 'httpRoutes'])
    const first = routes[0] as { name?: unknown } | undefined
    const name = route ?? (typeof first?.name === 'string' ? first.name : undefined)
    if (route === undefined && name !== undefined) src.take([...p, 'httpRoutes', 0, 'name'])
    routes.forEach((_r, i) => {
      if (route !== undefined || i > 0)
        src.drop([...p, 'httpRoutes', i], "Kanari's gatewayAPI router manages one HTTPRoute")
    })
    const namespace = src.string([...p, 'namespace'])
    if (name !== undefined)
      routers.push({
        gatewayAPI: { httpRoute: name, ...(namespace === undefined ? {} : { namespace }) },
      })
  }
  for (const key of ['alb', 'ambassador', 'appMesh', 'traefik', 'apisix'])
    src.drop([...at, key], `Kanari has no ${key} router; use gatewayAPI, istio, nginx or smi`)
  src.drop(
    [...at, 'managedRoutes'],
    'Kanari needs no list of routes: the setHeaderRoute and setMirrorRoute steps name them',
  )
  src.drop([...at, 'maxTrafficWeight'], 'Kanari weights are percentages of 100')
  const [chosen, ...rest] = routers
  if (rest.length > 0)
    ctx.note(
      src,
      at,
      `Kanari routes through one router: kept ${Object.keys(chosen ?? {}).join('')}, not ${rest.map((r) => Object.keys(r).join('')).join(', ')}`,
    )
  return chosen
}
