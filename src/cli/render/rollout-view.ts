/**
 * Renders a rollout as `kanari get` shows it: phase, steps with the current one marked, versions with
 * replicas and traffic, webhooks and their latest answers, analysis verdicts with their
 * explanations, and recent events.
 */
import { describeMatch, type RolloutPlan } from '../../engine/plan.js'
import type { RolloutView } from '../../local/daemon/api/schemas.js'
import { renderProcessTable } from '../../report/process-table.js'
import { renderTable } from '../../report/text-table.js'
import { stepText } from './step-text.js'

export interface RolloutViewOptions {
  /** Latest events to show (default 10); 0 shows every event in the view. */
  events?: number
}

export function renderRolloutView(view: RolloutView, options: RolloutViewOptions = {}): string {
  const s = view.status
  const plan = view.plan as RolloutPlan
  const lines: string[] = []
  lines.push(`Name:       ${view.name}`)
  lines.push(`Phase:      ${s.phase}${s.pause ? ` (${s.pause.reason})` : ''}`)
  lines.push(`Message:    ${s.message}`)
  lines.push(`Strategy:   ${plan.strategy.kind}`)
  lines.push(`Service:    ${view.serviceUrl}`)
  const role = plan.strategy.kind === 'blueGreen' ? 'preview' : 'canary'
  const rolledBack = s.phase === 'RolledBack' && s.canaryRevision !== null
  const canary =
    s.canaryRevision === null
      ? ''
      : rolledBack
        ? ` (${role} revision ${s.canaryRevision} rolled back)`
        : ` → ${role} revision ${s.canaryRevision} at ${s.traffic.canaryWeight}%`
  lines.push(`Revisions:  stable ${s.stableRevision ?? '—'}${canary}`)
  if (!view.daemon.stateWritable)
    lines.push(`Daemon:     state cannot be saved: ${view.daemon.problem ?? 'unknown cause'}`)
  const dropped = view.versions.reduce((n, v) => n + v.droppedLogBytes, 0)
  const dropping = view.versions.find((v) => v.logDropReason !== undefined)?.logDropReason
  if (dropped > 0)
    lines.push(
      `Logs:       ${dropped} bytes of replica output dropped (the disk refused them)${dropping === undefined ? '' : `; dropping now: ${dropWords(dropping)}`}`,
    )
  if (s.traffic.headerRoutes.length > 0)
    lines.push(
      `Routes:     ${s.traffic.headerRoutes
        .map((r) => `${r.name} (${r.match.map(describeMatch).join(' or ')})`)
        .join(', ')} → ${role}`,
    )
  if (s.traffic.mirror !== null)
    lines.push(`Mirror:     ${s.traffic.mirror.percentage}% → ${role} (answers discarded)`)
  const last = s.lastOutcome
  if (last !== null) {
    const outcome = `revision ${last.revision} ${last.result} — ${last.reason}`
    // Applying stable's template again (e.g. `undo`) drops the canary: the outcome is history then.
    const reverted =
      s.canaryRevision === null &&
      s.stableRevision !== null &&
      s.revision === s.stableRevision &&
      last.revision !== s.stableRevision
    lines.push(
      reverted
        ? `Last:       reverted to stable revision ${s.stableRevision} (before that, ${outcome})`
        : `Last:       ${outcome}`,
    )
  }
  if (plan.strategy.kind === 'canary') {
    lines.push('Steps:')
    const inFlight = s.canaryRevision !== null
    // A rolled-back canary stopped at the step its outcome was decided at: failed, not running.
    const decided = rolledBack && last?.revision === s.canaryRevision ? last : null
    const current = decided?.stepIndex ?? s.currentStepIndex
    plan.strategy.steps.forEach((step, i) => {
      const mark = !inFlight ? ' ' : i < current ? '✔' : i > current ? ' ' : rolledBack ? '✗' : '▶'
      const note =
        inFlight && rolledBack && i === current
          ? `  — rolled back${decided === null ? '' : `: ${decided.reason}`}`
          : ''
      lines.push(`  ${mark} ${String(i + 1).padStart(2)}  ${stepText(step)}${note}`)
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
  // A view from an older daemon (or a partial one) may have no webhooks in its plan.
  const webhooks = (plan as Partial<RolloutPlan>).webhooks ?? []
  if (webhooks.length > 0) {
    lines.push(`Webhooks:   failed checks ${s.failedChecks}/${plan.failedChecksThreshold}`)
    lines.push(
      renderTable(
        ['NAME', 'TYPE', 'CALLS', 'LAST ANSWER'],
        webhooks.map((w) => {
          if (w.type === 'event') {
            const waiting = s.webhooks?.pending.filter((c) => c.webhook.name === w.name).length
            return [
              w.name,
              w.type,
              '-',
              `every event; ${waiting ?? 0} waiting, ${s.webhooks?.failedEventCalls ?? 0} failed, ${s.webhooks?.droppedEventCalls ?? 0} dropped (all event webhooks)`,
            ]
          }
          const check = s.webhooks?.checks.find((c) => c.name === w.name)
          const answer =
            check === undefined
              ? 'not asked in this release'
              : check.answeredAt === null
                ? 'waiting for the first answer'
                : `${check.answer}${check.callId === null ? '' : ' (asking again)'}`
          return [w.name, w.type, String(check?.calls ?? 0), answer]
        }),
      )
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    )
  }
  for (const run of [s.analyses.background, s.analyses.step]) {
    if (run === null) continue
    lines.push(`Analysis:   ${run.kind} ${run.phase} — ${run.message}`)
    for (const m of run.metrics) lines.push(`  ${m.name}: ${m.lastMessage ?? 'no measurement yet'}`)
  }
  if (view.diagnosis !== undefined) {
    lines.push(
      `Diagnosis:  revision ${view.diagnosis.revision} (\`kanari diagnose ${view.name}\` for the whole report)`,
    )
    for (const line of view.diagnosis.summary) lines.push(`  ${line}`)
    if (view.diagnosis.advisor !== null)
      lines.push(`  advisor (advisory only): ${view.diagnosis.advisor}`)
  }
  if (view.processTable.length > 0) {
    lines.push('Release:')
    lines.push(
      renderProcessTable(view.processTable, { width: 118 })
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    )
  }
  if (view.notifications.length > 0) {
    lines.push('Notifications:')
    for (const n of view.notifications) {
      const counts = [
        `${n.sent} sent`,
        ...(n.failed > 0 ? [`${n.failed} failed`] : []),
        ...(n.dropped > 0 ? [`${n.dropped} dropped`] : []),
        ...(n.queued > 0 ? [`${n.queued} waiting`] : []),
        ...(n.retries > 0 ? [`${n.retries} retries`] : []),
      ]
      const last =
        n.lastError === null || n.lastErrorAt === null
          ? ''
          : ` — last failure ${new Date(n.lastErrorAt).toISOString().slice(11, 19)}: ${n.lastError}`
      lines.push(`  ${n.name} (${n.provider}, ${n.severity} and up): ${counts.join(', ')}${last}`)
    }
  }
  const wanted = options.events ?? 10
  const events = wanted === 0 ? view.events : view.events.slice(-wanted)
  if (events.length > 0) {
    lines.push(
      events.length < view.events.length
        ? `Events (latest ${events.length}; --events N shows more, --events 0 all):`
        : 'Events:',
    )
    for (const e of events)
      lines.push(
        `  ${new Date(e.at).toISOString().slice(11, 19)}  ${e.reason.padEnd(18)} ${e.message}`,
      )
  }
  return lines.join('\n') + '\n'
}

/** A log write's failure code in words. */
function dropWords(code: string): string {
  const words: Record<string, string> = {
    ENOSPC: 'the disk is full or nearly full',
    EROFS: 'the disk is read-only',
    EACCES: 'no permission to write the log',
    EDQUOT: 'the disk quota is used up',
  }
  return `${code}, ${words[code] ?? 'the log cannot be written'}`
}
