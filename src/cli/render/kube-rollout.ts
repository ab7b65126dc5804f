/**
 * Rollouts on a cluster as `kubectl kanari get` and `list` show them: where the release stands, who
 * gets the traffic, the replicas of the primary and the canary, the conditions, the latest events.
 */
import type { EngineEvent } from '../../engine/events.js'
import type { Condition } from '../../kubernetes/kit/conditions.js'
import type { RolloutKubeView } from '../../kubernetes/client/rollout-client.js'
import type { RolloutObject } from '../../kubernetes/store/rollout-status-store.js'
import { renderTable } from '../../report/text-table.js'

export function renderKubeRolloutList(items: RolloutObject[], allNamespaces: boolean): string {
  if (items.length === 0) return 'no rollouts (create one with `kubectl apply -f rollout.yaml`)\n'
  const headers = [
    ...(allNamespaces ? ['NAMESPACE'] : []),
    'NAME',
    'PHASE',
    'STEP',
    'STABLE',
    'CANARY',
    'WEIGHT',
    'MESSAGE',
  ]
  return renderTable(
    headers,
    items.map((r) => {
      const s = r.status
      return [
        ...(allNamespaces ? [r.metadata.namespace ?? ''] : []),
        r.metadata.name,
        s?.phase ?? 'Pending',
        s?.step === undefined || s.step === '' ? '—' : s.step,
        String(s?.stableRevision ?? '—'),
        String(s?.canaryRevision ?? '—'),
        `${s?.traffic?.canaryWeight ?? 0}%`,
        s?.message ?? 'not reconciled yet (is the controller running?)',
      ]
    }),
  )
}

export function renderKubeRolloutView(view: RolloutKubeView, events: number): string {
  const s = view.rollout.status
  const lines: string[] = []
  lines.push(`Name:       ${view.name}`)
  lines.push(`Namespace:  ${view.namespace}`)
  lines.push(`Phase:      ${s?.phase ?? 'Pending'}${s?.pause ? ` (${s.pause.reason})` : ''}`)
  lines.push(`Message:    ${s?.message ?? 'not reconciled yet (is the controller running?)'}`)
  lines.push(`Target:     Deployment ${view.target}   Router: ${view.router}`)
  if (s !== undefined) {
    const canary =
      s.canaryRevision === null || s.canaryRevision === undefined
        ? ''
        : ` → canary revision ${s.canaryRevision} at ${s.traffic?.canaryWeight ?? 0}%${s.step === undefined || s.step === '' ? '' : `, step ${s.step}`}`
    lines.push(`Revisions:  stable ${s.stableRevision ?? '—'}${canary}`)
  }
  const rows = [view.primary, view.canary].flatMap((v, i) =>
    v === null
      ? []
      : [
          [
            i === 0 ? 'primary' : 'canary (target)',
            v.deployment,
            String(v.revision ?? '—'),
            `${v.ready}/${v.replicas}`,
          ],
        ],
  )
  if (rows.length > 0) {
    lines.push('')
    lines.push(renderTable(['ROLE', 'DEPLOYMENT', 'REVISION', 'READY'], rows).trimEnd())
  }
  const conditions = (s?.conditions ?? []) as Condition[]
  if (conditions.length > 0) {
    lines.push('')
    lines.push(
      renderTable(
        ['CONDITION', 'STATUS', 'REASON'],
        conditions.map((c) => [c.type, c.status, c.reason]),
      ).trimEnd(),
    )
  }
  const all = (s?.events ?? []) as (EngineEvent & { id: number })[]
  const shown = events === 0 ? all : all.slice(-events)
  if (shown.length > 0) {
    lines.push('')
    lines.push(
      renderTable(
        ['TIME', 'REASON', 'MESSAGE'],
        shown.map((e) => [new Date(e.at).toISOString().slice(11, 19), e.reason, e.message]),
      ).trimEnd(),
    )
  }
  return lines.join('\n') + '\n'
}
