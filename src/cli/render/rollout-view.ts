/**
 * Renders a rollout as `kanari get` shows it: phase, steps with the current one marked, versions with
 * replicas and traffic, analysis verdicts with their explanations, and recent events.
 */
import { describeMatch, type CanaryStep, type RolloutPlan } from '../../engine/plan.js'
import type { RolloutView } from '../../local/daemon/api/schemas.js'
import { renderProcessTable } from '../../report/process-table.js'
import { renderTable } from '../../report/text-table.js'

function stepText(step: CanaryStep): string {
  switch (step.kind) {
    case 'setWeight':
      return `setWeight ${step.weight}`
    case 'pause':
      return step.durationSeconds === undefined
        ? 'pause (until promoted)'
        : `pause ${step.durationSeconds}s`
    case 'analysis':
      return `analysis ${step.analysis.metrics.map((m) => m.name).join(', ')} (${step.analysis.judge})`
    case 'setHeaderRoute':
      return `setHeaderRoute ${step.name}`
    case 'setMirrorRoute':
      return `setMirrorRoute ${step.name} ${step.percentage}%`
    case 'setCanaryScale':
      return 'setCanaryScale'
  }
}

export function renderRolloutView(view: RolloutView): string {
  const s = view.status
  const plan = view.plan as RolloutPlan
  const lines: string[] = []
  lines.push(`Name:       ${view.name}`)
  lines.push(`Phase:      ${s.phase}${s.pause ? ` (${s.pause.reason})` : ''}`)
  lines.push(`Message:    ${s.message}`)
  lines.push(`Strategy:   ${plan.strategy.kind}`)
  lines.push(`Service:    ${view.serviceUrl}`)
  const role = plan.strategy.kind === 'blueGreen' ? 'preview' : 'canary'
  const canary =
    s.canaryRevision === null
      ? ''
      : ` → ${role} revision ${s.canaryRevision} at ${s.traffic.canaryWeight}%`
  lines.push(`Revisions:  stable ${s.stableRevision ?? '—'}${canary}`)
  if (!view.daemon.stateWritable)
    lines.push(`Daemon:     state cannot be saved: ${view.daemon.problem ?? 'unknown cause'}`)
  const dropped = view.versions.reduce((n, v) => n + v.droppedLogBytes, 0)
  if (dropped > 0)
    lines.push(`Logs:       ${dropped} bytes of replica output dropped (the disk refused them)`)
  if (s.traffic.headerRoutes.length > 0)
    lines.push(
      `Routes:     ${s.traffic.headerRoutes
        .map((r) => `${r.name} (${r.match.map(describeMatch).join(' or ')})`)
        .join(', ')} → ${role}`,
    )
  if (s.traffic.mirror !== null)
    lines.push(`Mirror:     ${s.traffic.mirror.percentage}% → ${role} (answers discarded)`)
  if (s.lastOutcome !== null)
    lines.push(
      `Last:       revision ${s.lastOutcome.revision} ${s.lastOutcome.result} — ${s.lastOutcome.reason}`,
    )
  if (plan.strategy.kind === 'canary') {
    lines.push('Steps:')
    plan.strategy.steps.forEach((step, i) => {
      const inFlight = s.canaryRevision !== null
      const mark = !inFlight
        ? ' '
        : i < s.currentStepIndex
          ? '✔'
          : i === s.currentStepIndex
            ? '▶'
            : ' '
      lines.push(`  ${mark} ${String(i + 1).padStart(2)}  ${stepText(step)}`)
    })
  }
  lines.push('Versions:')
  lines.push(
    renderTable(
      ['REVISION', 'ROLE', 'READY', 'RESTARTS', 'REQUESTS', 'ERRORS'],
      view.versions.map((v) => [
        String(v.revision),
        (v.role === 'canary' ? role : v.role) + (v.crashLooping ? ' (crash-looping)' : ''),
        `${v.ready}/${v.desired}`,
        String(v.restarts),
        String(v.requests),
        String(v.errors),
      ]),
    )
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  )
  for (const run of [s.analyses.background, s.analyses.step]) {
    if (run === null) continue
    lines.push(`Analysis:   ${run.kind} ${run.phase} — ${run.message}`)
    for (const m of run.metrics) lines.push(`  ${m.name}: ${m.lastMessage ?? 'no measurement yet'}`)
  }
  if (view.processTable.length > 0) {
    lines.push('Release:')
    lines.push(
      renderProcessTable(view.processTable)
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    )
  }
  const events = view.events
  if (events.length > 0) {
    lines.push('Events:')
    for (const e of events.slice(-10))
      lines.push(
        `  ${new Date(e.at).toISOString().slice(11, 19)}  ${e.reason.padEnd(18)} ${e.message}`,
      )
  }
  return lines.join('\n') + '\n'
}
