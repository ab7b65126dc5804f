/**
 * The Kubernetes traffic routers by the name `spec.trafficRouting` uses, each behind the decorator
 * that answers the one question the controller asks besides the port: where did the last apply
 * send stable's share.
 */
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
import {
  StableTrackingRouter,
  type KubeTrafficRouter,
  type RecordingRouter,
} from './stable-tracking-router.js'

export { GatewayApiRouter, IstioRouter, NginxRouter, ReplicaRatioRouter, SmiRouter }
export type { KubeTrafficRouter, RouteBackends }

export interface RouterInputs {
  client: KubeApi
  names: WorkloadNames
  spec: Pick<RolloutSpec, 'workload' | 'trafficRouting'>
  backends: RouteBackends
  selectors: ServiceSelectors
  port: ServicePort
  targetPort: () => number | string
  /** Told after every apply where it sent stable's share. */
  onApplied?: (stable: Backend) => void
}

export function routerFor(input: RouterInputs): KubeTrafficRouter {
  return new StableTrackingRouter(
    routingObjectRouter(input),
    () => input.backends.stableBackend(),
    input.onApplied,
  )
}

function routingObjectRouter(input: RouterInputs): RecordingRouter {
  const { client, names, spec, backends } = input
  const routing = spec.trafficRouting ?? {}
  const owner = ownerRef(names.rollout)
  switch (routerOf(spec)) {
    case 'gatewayAPI':
      return new GatewayApiRouter(
        client,
        routing.gatewayAPI?.namespace ?? names.namespace,
        routing.gatewayAPI?.httpRoute ?? names.service,
        backends,
      )
    case 'istio':
      return new IstioRouter(
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
      )
    case 'nginx':
      return new NginxRouter(
        client,
        names.namespace,
        routing.nginx?.ingress ?? names.service,
        backends,
        owner,
      )
    case 'smi':
      return new SmiRouter(
        client,
        names.namespace,
        routing.smi?.trafficSplit ?? names.service,
        names.service,
        backends,
        owner,
      )
    case 'flag':
      // A flag's split is served by the local daemon; the reconciler refuses flag rollouts first.
      throw new Error('spec.trafficRouting.flag: flag rollouts run in local mode only')
    case 'none':
    case 'proxy': {
      return new ReplicaRatioRouter(
        client,
        names,
        backends,
        input.selectors,
        input.port,
        input.targetPort,
      )
    }
  }
}
