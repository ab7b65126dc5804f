/**
 * The version a measurement is about, and the `{{ revision }}` / `{{ role }}` variables that name it:
 * the canary while there is one, else stable (a post-promotion analysis measures the new stable).
 */
import type { TrafficState } from '../engine/status.js'
import { fillVariables } from '../spec/metric-variables.js'

export type Role = 'canary' | 'stable'

export interface MeasuredVersion {
  role: Role
  revision: number
}

export function measuredVersion(traffic: TrafficState): MeasuredVersion | undefined {
  if (traffic.canaryRevision !== null) return { role: 'canary', revision: traffic.canaryRevision }
  if (traffic.stableRevision !== null) return { role: 'stable', revision: traffic.stableRevision }
  return undefined
}

/** `text` with the measured version's variables filled in (an unknown version fills them with ""). */
export function fillMeasured(text: string, version: MeasuredVersion | undefined): string {
  return fillVariables(text, {
    revision: version === undefined ? '' : String(version.revision),
    role: version?.role ?? '',
  })
}
