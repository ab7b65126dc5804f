/** Traffic routing: one router, one that fits the workload, and the messages for what a router cannot do. */
import type { RouterName } from '../../engine/vocabulary.js'
import { namedRouters, routerOf, type RoutedSpec } from '../router.js'
import type { DocumentProblems } from './document-problems.js'

/** Checks `spec.trafficRouting` against the workload; returns the router the rollout will use. */
export function checkTrafficRouting(p: DocumentProblems, spec: RoutedSpec): RouterName {
  const routers = namedRouters(spec)
  if (routers.length > 1)
    p.add(['spec', 'trafficRouting'], `give one traffic router, not ${routers.join(' and ')}`)
  const router = routerOf(spec)
  if (spec.workload.process !== undefined && routers.length === 1 && router !== 'proxy') {
    p.add(
      ['spec', 'trafficRouting', router],
      `a process workload runs on this machine behind Kanari's proxy; "${router}" needs Kubernetes (use trafficRouting.proxy or leave trafficRouting out)`,
      true,
    )
  }
  if (spec.workload.flag !== undefined && routers.length === 1 && router !== 'flag') {
    p.add(
      ['spec', 'trafficRouting', router],
      `a flag workload is routed by its flag's fractional split; "${router}" routes processes or pods (use trafficRouting.flag or leave trafficRouting out)`,
      true,
    )
  }
  if (spec.workload.flag === undefined && router === 'flag' && routers.length === 1) {
    p.add(
      ['spec', 'trafficRouting', 'flag'],
      "the flag router moves a feature flag's split: it needs spec.workload.flag",
      true,
    )
  }
  if (spec.workload.targetRef !== undefined && router === 'proxy' && routers.length === 1) {
    p.add(
      ['spec', 'trafficRouting', 'proxy'],
      'the built-in proxy routes process workloads; a Deployment needs gatewayAPI, istio, nginx, smi or none',
      true,
    )
  }
  return router
}

export function cannotRouteByHeader(router: RouterName): string {
  return `the ${router} router cannot route by header or cookie; use proxy, istio, gatewayAPI or nginx`
}

export function cannotMirror(router: RouterName): string {
  return `the ${router} router cannot mirror traffic; use proxy, istio or gatewayAPI`
}
