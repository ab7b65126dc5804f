/** `kanari list` (and `kanari get rollouts`) as a table: where each release stands, who gets traffic. */
import type { RolloutListEntry } from '../../local/daemon/api/schemas.js'
import { renderTable } from '../../report/text-table.js'

/** Step N of M while a canary is in flight (1-based, as `kanari get` numbers steps), else "—". */
function stepText(r: RolloutListEntry): string {
  if (r.canaryRevision === null || r.stepCount === 0) return '—'
  return `${Math.min(r.stepIndex + 1, r.stepCount)}/${r.stepCount}`
}

/** Who serves the weighted traffic: all on stable when nothing is in flight, or the split. */
function trafficText(r: RolloutListEntry): string {
  if (r.stableRevision === null) return r.canaryWeight > 0 ? `canary ${r.canaryWeight}%` : '—'
  return r.canaryWeight > 0
    ? `stable ${r.stableWeight}%, canary ${r.canaryWeight}%`
    : `stable ${r.stableWeight}%`
}

export function renderRolloutList(items: RolloutListEntry[], invokedAs: string): string {
  if (items.length === 0)
    return `no rollouts (apply one with \`${invokedAs} apply -f rollout.yaml\`)\n`
  return renderTable(
    ['NAME', 'PHASE', 'STEP', 'STABLE', 'CANARY', 'TRAFFIC', 'SERVICE', 'MESSAGE'],
    items.map((r) => [
      r.name,
      r.phase,
      stepText(r),
      String(r.stableRevision ?? '—'),
      String(r.canaryRevision ?? '—'),
      trafficText(r),
      r.serviceUrl,
      r.message,
    ]),
  )
}
