/**
 * The `get --watch` screen on a terminal: what moves during a release — phase, step, weights,
 * readiness, the analysis verdict and the latest events — in the terminal's size (an 80×24 one
 * included), every line cut to its width, so each refresh redraws the same screen in place.
 */
import type { EventReason } from '../../engine/events.js'
import type { RolloutPlan } from '../../engine/plan.js'
import type { RolloutView } from '../../local/daemon/api/schemas.js'
import { clip, fitLine, wrapClauses } from '../../report/wrap.js'
import { stepText } from './step-text.js'

export interface ScreenSize {
  columns: number
  rows: number
}

/** Events whose message ends in a verdict (its p-value): shortened in the middle, not at the end. */
const VERDICTS = new Set<EventReason>([
  'AnalysisSuccessful',
  'AnalysisFailed',
  'AnalysisError',
  'AnalysisInconclusive',
  'RolledBack',
])

/** Lines of the analysis verdict at most: the events get the rest of the screen. */
const VERDICT_LINES = 3

export function renderWatchView(
  view: RolloutView,
  size: ScreenSize,
  footer: string,
  now = new Date(),
): string[] {
  const s = view.status
  const plan = view.plan as RolloutPlan
  const width = Math.max(20, size.columns)
  const role = plan.strategy.kind === 'blueGreen' ? 'preview' : 'canary'
  const inFlight = s.canaryRevision !== null
  const rolledBack = s.phase === 'RolledBack' && inFlight
  const lines: string[] = []

  const clock = now.toISOString().slice(11, 19)
  const title = `${view.name}: ${s.phase}${s.pause ? ` (${s.pause.reason})` : ''}`
  lines.push(`${clip(title, width - clock.length - 1).padEnd(width - clock.length)}${clock}`)
  lines.push(fitLine(`  ${s.message}`, width))

  if (plan.strategy.kind === 'canary' && inFlight) {
    const steps = plan.strategy.steps
    const at = Math.min(s.currentStepIndex, steps.length - 1)
    const step = steps[at]
    lines.push(
      `Step      ${at + 1} of ${steps.length}${step === undefined ? '' : `: ${stepText(step)}`}${rolledBack ? ' ✗ rolled back' : ''}`,
    )
  } else if (plan.strategy.kind === 'blueGreen' && inFlight)
    lines.push(`Preview   ${s.blueGreenStage ?? 'starting'}`)

  const w = s.traffic.canaryWeight
  lines.push(
    s.stableRevision === null
      ? `Traffic   ${inFlight ? `${role} revision ${s.canaryRevision} ${w}%` : 'none yet'}`
      : `Traffic   stable revision ${s.stableRevision} ${100 - w}%` +
          (inFlight && !rolledBack ? ` · ${role} revision ${s.canaryRevision} ${w}%` : '') +
          (s.traffic.headerRoutes.length > 0 ? ` · header routes → ${role}` : '') +
          (s.traffic.mirror === null ? '' : ` · mirror ${s.traffic.mirror.percentage}% → ${role}`),
  )
  const ready = view.versions
    .filter((v) => v.role !== 'old' || v.desired > 0)
    .map(
      (v) =>
        `${v.role === 'canary' ? role : v.role} ${v.ready}/${v.desired}${v.crashLooping ? ' crash-looping' : ''}`,
    )
  if (ready.length > 0) lines.push(`Ready     ${ready.join(' · ')}`)

  const run = s.analyses.step ?? s.analyses.background
  if (run !== null) {
    const verdict = wrapClauses(`${run.kind} ${run.phase}: ${run.message}`, width - 10)
    const shown =
      verdict.length > VERDICT_LINES
        ? [...verdict.slice(0, VERDICT_LINES - 1), `… ${verdict.at(-1) ?? ''}`]
        : verdict
    shown.forEach((l, i) => lines.push(`${i === 0 ? 'Analysis  ' : ' '.repeat(10)}${l}`))
  } else if (s.lastOutcome !== null && !inFlight) {
    const last = s.lastOutcome
    lines.push(`Last      revision ${last.revision} ${last.result} — ${last.reason}`)
  }

  // The latest events fill the rest of the screen, keeping a line for the footer.
  const room = size.rows - 1 - lines.length - 2
  const events = room > 0 ? view.events.slice(-room) : []
  if (events.length > 0) {
    lines.push('Events')
    for (const e of events) {
      const line = `  ${new Date(e.at).toISOString().slice(11, 19)}  ${e.reason.padEnd(16)} ${e.message}`
      lines.push(VERDICTS.has(e.reason) ? fitLine(line, width) : line)
    }
  }
  lines.push(footer)
  return lines.slice(0, Math.max(1, size.rows - 1)).map((l) => clip(l, width))
}
