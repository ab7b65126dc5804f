/**
 * What the data plane sees of a Service: the ready addresses of its EndpointSlices. A gateway sends a
 * backend's share only to those, so a Service whose pods are Ready but not yet in its endpoints (the
 * EndpointSlice not yet written, the process not yet listening) would answer its share with 503s.
 */
import type { KubeApi } from '../kit/api.js'
import { RESOURCES, type KubeObject } from '../kit/types.js'

type EndpointSlice = KubeObject & {
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[] | null
}

/**
 * Ready addresses in the Service's EndpointSlices (a ready condition left unset counts as ready, as
 * the API defines it), or undefined when the Service has no EndpointSlice at all: nothing publishes
 * endpoints for it, so pod readiness is all there is to go by.
 */
export async function readyEndpointCount(
  client: KubeApi,
  namespace: string,
  service: string,
): Promise<number | undefined> {
  const slices = await client.list<EndpointSlice>(RESOURCES.endpointSlices, namespace, {
    labelSelector: `kubernetes.io/service-name=${service}`,
  })
  if (slices.items.length === 0) return undefined
  const addresses = new Set<string>()
  for (const slice of slices.items)
    for (const e of slice.endpoints ?? [])
      if (e.conditions?.ready !== false) for (const a of e.addresses ?? []) addresses.add(a)
  return addresses.size
}
