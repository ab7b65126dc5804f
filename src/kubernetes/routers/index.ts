/**
 * The Kubernetes traffic routers by the name `spec.trafficRouting` uses, and the one question the
 * controller asks of each besides the port: where did the last apply send stable's share.
 */
import type { TrafficRouter } from '../../controller/ports.js'
import type { RolloutSpec } from '../../spec/schema.js'
import { routerOf } from '../../spec/router.js'
import type { KubeApi } from '../kit/api.js'
import type { Backend, WorkloadNames } from '../workloads/deployment-workloads.js'
import { ownerRef } from '../workloads/deployment-workloads.js'
import type { ServicePort, ServiceSelectors } from '../workloads/services.js'
import { GatewayApiRouter } from './gateway-api.js'
import { IstioRouter } from './istio.js'
import { NginxRouter } from './nginx.js'
import type { RouteBackends } from './object-router.js'
import { ReplicaRatioRouter } from './replica-ratio.js'
import { SmiRouter } from './smi.js'

export { GatewayApiRouter, IstioRouter, NginxRouter, ReplicaRatioRouter, SmiRouter }
export type { RouteBackends }

export interface KubeTrafficRouter extends TrafficRouter {
  /** The Service stable's share was sent to by the last apply (undefined before any). */
  routedStable(): Promise<Backend | undefined>
}

export interface RouterInputs {
  client: KubeApi
  names: WorkloadNames
  spec: Pick<RolloutSpec, 'workload' | 'trafficRouting'>
  backends: RouteBackends
  selectors: ServiceSelectors
  port: ServicePort
  targetPort: () => number | string
}

function withRoutedStable(
  router: TrafficRouter & { recorded(): Promise<{ stable: Backend } | undefined> },
): KubeTrafficRouter {
  return Object.assign(router, {
    routedStable: async () => (await router.recorded())?.stable,
  })
}

export function routerFor(input: RouterInputs): KubeTrafficRouter {
  const { client, names, spec, backends } = input
  const routing = spec.trafficRouting ?? {}
  const owner = ownerRef(names.rollout)
  switch (routerOf(spec)) {
    case 'gatewayAPI':
      return withRoutedStable(
        new GatewayApiRouter(
          client,
          routing.gatewayAPI?.namespace ?? names.namespace,
          routing.gatewayAPI?.httpRoute ?? names.service,
          backends,
        ),
      )
    case 'istio':
      return withRoutedStable(
        new IstioRouter(
          client,
          names.namespace,
          routing.istio?.virtualService.name ?? names.service,
          backends,
          {
            ...(routing.istio?.virtualService.routes?.[0] === undefined
              ? {}
              : { routeName: routing.istio.virtualService.routes[0] }),
            owner,
          },
        ),
      )
    case 'nginx':
      return withRoutedStable(
        new NginxRouter(
          client,
          names.namespace,
          routing.nginx?.ingress ?? names.service,
          backends,
          owner,
        ),
      )
    case 'smi':
      return withRoutedStable(
        new SmiRouter(
          client,
          names.namespace,
          routing.smi?.trafficSplit ?? names.service,
          names.service,
          backends,
          owner,
        ),
      )
    case 'flag':
      // A flag's split is served by the local daemon; the reconciler refuses flag rollouts first.
      throw new Error('spec.trafficRouting.flag: flag rollouts run in local mode only')
    case 'none':
    case 'proxy': {
      const router = new ReplicaRatioRouter(
        client,
        names,
        backends,
        input.selectors,
        input.port,
        input.targetPort,
      )
      return Object.assign(router, {
        routedStable: async () => {
          const state = await router.recorded()
          return state?.stable
        },
      })
    }
  }
}
