/**
 * What a router must refuse: traffic that needs a capability it lacks. Routers call this before
 * applying, so nothing is dropped silently.
 */
import { ConflictError } from '../errors.js'
import type { TrafficState } from '../engine/status.js'
import type { RouterCapabilities } from './ports.js'

export function checkRoutable(
  router: string,
  capabilities: RouterCapabilities,
  traffic: TrafficState,
): void {
  const missing: string[] = []
  if (!capabilities.weights && traffic.canaryWeight > 0 && traffic.canaryWeight < 100)
    missing.push(`a ${traffic.canaryWeight}% weighted split`)
  if (!capabilities.headerRoutes && traffic.headerRoutes.length > 0)
    missing.push(`header routes (${traffic.headerRoutes.map((r) => r.name).join(', ')})`)
  if (!capabilities.mirror && traffic.mirror !== null)
    missing.push(`mirroring (${traffic.mirror.percentage}%)`)
  if (missing.length > 0)
    throw new ConflictError(`the ${router} router cannot carry out ${missing.join(', ')}`, {
      hint: 'pick a router with these capabilities, or remove the steps that need them',
    })
}
