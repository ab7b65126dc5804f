/**
 * Handing stable's traffic over to the primary: once the primary serves stable's revision the
 * router moves stable's share to it and the driver resizes both Deployments; the apex Service
 * selects the pods that carry stable's share (with a mesh router, whose routing object does the
 * splitting), re-applied only when that changes.
 */
import type { RolloutSpec } from '../../spec/schema.js'
import type { KubeApi } from '../kit/api.js'
import type { Backend } from '../workloads/deployment-workloads.js'
import { applyServices } from '../workloads/services.js'
import { serviceOf, type RolloutHandle } from './rollout-handle.js'
import { specOf } from './rollout-spec.js'

/**
 * Moves stable's traffic to where it belongs (the primary, once it serves and the data plane can
 * reach its pods), then resizes. True when it moved the traffic.
 */
export async function handOver(handle: RolloutHandle): Promise<boolean> {
  const s = handle.runner.status
  if (s.stableRevision === null) return false
  const want: Backend = handle.driver.stableBackend()
  let moved = false
  if (
    handle.stableRouted !== undefined &&
    handle.stableRouted !== want &&
    (await reachable(handle, want))
  ) {
    await handle.router.apply(s.traffic)
    moved = true
  }
  await handle.driver.sync()
  return moved
}

/** The backend's Service has ready endpoints for every replica it should run (or none to go by). */
async function reachable(handle: RolloutHandle, backend: Backend): Promise<boolean> {
  const endpoints = await handle.driver.readyEndpoints(backend)
  if (endpoints === undefined) return true
  const s = handle.runner.status
  const wanted = s.stableRevision === null ? 1 : (s.replicas[String(s.stableRevision)] ?? 1)
  return endpoints >= Math.max(1, wanted)
}

/** Applies the Services when first handled and whenever the apex must select other pods. */
export async function ensureServices(client: KubeApi, handle: RolloutHandle): Promise<void> {
  const spec = specOf(handle.object)
  const apex: Backend | null = !hasMeshRouter(spec)
    ? null
    : handle.runner.status.stableRevision === null
      ? 'canary'
      : handle.driver.stableBackend()
  if (handle.apexApplied !== undefined && handle.apexApplied === apex) return
  await applyServices(
    client,
    handle.names,
    handle.selectors,
    { port: serviceOf(spec).port, name: 'http' },
    handle.targetPort,
    apex,
  )
  handle.apexApplied = apex
}

/** A router that owns its own routing object (the apex then simply selects stable's pods). */
function hasMeshRouter(spec: RolloutSpec): boolean {
  const r = spec.trafficRouting
  return (
    r?.gatewayAPI !== undefined ||
    r?.istio !== undefined ||
    r?.nginx !== undefined ||
    r?.smi !== undefined
  )
}
