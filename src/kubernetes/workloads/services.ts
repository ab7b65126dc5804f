/**
 * The three Services of a rollout, applied with Kanari's field manager and owned by the Rollout:
 * `<service>-primary` selects the primary's pods, `<service>-canary` the target's, and the apex
 * `<service>` (what clients call; `spec.service.name`, else the target's name) selects the pods
 * that serve stable — the primary's, or the target's before the primary is up. Routers send weights to primary and canary; the apex is the
 * host a mesh routes for, and what replica-ratio and selector-switch routing move.
 */
import type { KubeApi } from '../kit/api.js'
import { RESOURCES, type KubeObject } from '../kit/types.js'
import {
  canaryServiceName,
  LABEL_ROLE,
  LABEL_ROLLOUT,
  ownerRef,
  primaryName,
  type Backend,
  type WorkloadNames,
} from './deployment-workloads.js'
import { primaryLabels, type PodTemplate } from './pod-template.js'

export interface ServicePort {
  port: number
  /** The port's name: the target's container port of this name is where it goes. */
  name: string
}

/** The pods' port: the target's port named like the Service's, else its first, else the same. */
export function targetPortOf(template: PodTemplate, port: ServicePort): number | string {
  const containers = Array.isArray(template.spec?.containers)
    ? (template.spec.containers as { ports?: { name?: string; containerPort?: number }[] }[])
    : []
  const ports = containers.flatMap((c) => c.ports ?? [])
  const named = ports.find((p) => p.name === port.name)
  if (named?.containerPort !== undefined) return named.containerPort
  return ports[0]?.containerPort ?? port.port
}

export interface ServiceSelectors {
  primary: Record<string, string>
  canary: Record<string, string>
}

export function selectorsOf(targetSelector: Record<string, string>): ServiceSelectors {
  return { primary: primaryLabels(targetSelector, targetSelector), canary: { ...targetSelector } }
}

function service(
  names: WorkloadNames,
  name: string,
  role: string,
  selector: Record<string, string> | undefined,
  port: ServicePort,
  targetPort: number | string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: names.namespace,
      labels: { [LABEL_ROLLOUT]: names.rollout.name, [LABEL_ROLE]: role },
      ownerReferences: [ownerRef(names.rollout)],
    },
    spec: {
      type: 'ClusterIP',
      ...(selector === undefined ? {} : { selector }),
      ports: [{ name: port.name, port: port.port, targetPort, protocol: 'TCP' }],
    },
  }
}

/**
 * Applies the primary and canary Services, and the apex selecting `apexBackend`'s pods (null: the
 * apex is the router's to set, as replica-ratio routing does).
 */
export async function applyServices(
  client: KubeApi,
  names: WorkloadNames,
  selectors: ServiceSelectors,
  port: ServicePort,
  targetPort: number | string,
  apexBackend: Backend | null,
): Promise<void> {
  const services = [
    service(names, primaryName(names.service), 'primary', selectors.primary, port, targetPort),
    service(names, canaryServiceName(names.service), 'canary', selectors.canary, port, targetPort),
  ]
  if (apexBackend !== null)
    services.push(
      service(
        names,
        names.service,
        'apex',
        apexBackend === 'primary' ? selectors.primary : selectors.canary,
        port,
        targetPort,
      ),
    )
  for (const svc of services) await client.apply(RESOURCES.services, names.namespace, svc)
}
