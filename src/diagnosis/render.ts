/**
 * A report as text: the full form `kanari diagnose` prints, a short summary for `kanari get` and the
 * demo, and the compact form sent to an advisor (ids kept, samples trimmed).
 */
import type { AdvisorRecord } from './advice.js'
import type { DiagnosisReport, LogTemplate, RequestRow } from './report.js'

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19)
}

function pct(share: number): string {
  return `${(share * 100).toFixed(share > 0 && share < 0.001 ? 2 : 1)}%`
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n')
}

function rowText(r: RequestRow): string {
  const status = r.status === 0 ? 'no response' : String(r.status)
  return `${r.method} ${r.path} ${status}: canary ${r.canary} (${pct(r.canaryShare)}), stable ${r.stable} (${pct(r.stableShare)})`
}

function templateHead(t: LogTemplate): string {
  const how = t.newInCanary ? 'new' : `${t.ratio === null ? '' : `${t.ratio}× `}more often`
  return `canary ${t.canary}, stable ${t.stable} — ${how} (p ${t.pValue < 0.001 ? '< 0.001' : `= ${t.pValue}`})`
}

function headline(r: DiagnosisReport): string {
  const o = r.outcome
  const what =
    o === null
      ? 'in flight'
      : o.result === 'RolledBack'
        ? `rolled back at ${o.canaryWeight}%: ${o.reason}`
        : `promoted: ${o.reason}`
  return `Diagnosis of ${r.rollout} revision ${r.revision} (stable ${r.stableRevision ?? '—'}) — ${what}`
}

export interface RenderOptions {
  /** Samples per template to show (default 2). */
  samples?: number
  advisor?: AdvisorRecord | null
}

/** The whole report, as `kanari diagnose` prints it. */
export function renderReport(r: DiagnosisReport, options: RenderOptions = {}): string {
  const samples = options.samples ?? 2
  const lines: string[] = [headline(r)]
  const seconds = Math.round((r.window.to - r.window.from) / 1000)
  lines.push(
    `window ${time(r.window.from)}–${time(r.window.to)} UTC (${seconds}s), made ${r.trigger === 'rollback' ? 'at the rollback' : r.trigger === 'pre-promotion' ? 'before promotion' : 'on demand'}; ${r.redactions} secret${r.redactions === 1 ? '' : 's'} redacted`,
  )
  lines.push('', 'Verdicts:')
  if (r.verdicts.length === 0) lines.push('  (no analysis ran for this revision)')
  for (const v of r.verdicts) {
    const traffic =
      v.canaryRequests + v.stableRequests > 0
        ? ` [canary ${v.canaryErrors}/${v.canaryRequests} failed, stable ${v.stableErrors}/${v.stableRequests}]`
        : ''
    lines.push(`  ${v.id}  ${v.kind} analysis (${v.judge}) ${v.phase}: ${v.explanation}${traffic}`)
    for (const m of v.metrics)
      if (m.message !== null) lines.push(`        ${m.name}: ${m.phase ?? '—'} — ${m.message}`)
  }
  lines.push('', 'Requests by method, path and status (same window):')
  if (!r.requests.available) lines.push(`  unavailable: ${r.requests.note ?? ''}`)
  else {
    lines.push(
      `  canary ${r.requests.canaryRequests} requests, stable ${r.requests.stableRequests}`,
    )
    for (const row of r.requests.rows) lines.push(`  ${row.id}  ${rowText(row)}`)
    if (r.requests.omitted > 0) lines.push(`  … ${r.requests.omitted} more rows`)
  }
  lines.push('', 'Log diff (templates, canary vs stable):')
  if (!r.logs.available) lines.push(`  unavailable: ${r.logs.note ?? ''}`)
  else {
    lines.push(
      `  canary ${r.logs.canaryLines} records, stable ${r.logs.stableLines}${r.logs.windowed ? ' in the window' : ' (whole logs: no time index)'}; ${r.logs.common} template${r.logs.common === 1 ? '' : 's'} alike on both sides not shown`,
    )
    if (r.logs.templates.length === 0) lines.push('  nothing the canary logs more than stable')
    for (const t of r.logs.templates) {
      lines.push(`  ${t.id}  ${templateHead(t)}`)
      lines.push(indent(t.template, '        '))
      for (const s of t.samples.slice(0, samples)) lines.push(indent(s, '      │ '))
      if (t.files.length > 0) lines.push(`        files: ${t.files.join(', ')}`)
    }
    if (r.logs.omitted > 0) lines.push(`  … ${r.logs.omitted} more templates`)
  }
  lines.push('', `Change from revision ${r.change.from ?? '—'} to ${r.change.to}:`)
  if (!r.change.available) lines.push(`  unavailable: ${r.change.note ?? ''}`)
  else if (r.change.items.length === 0) lines.push('  (no difference in the workload)')
  for (const c of r.change.items)
    lines.push(
      `  ${c.id}  ${c.field}${c.name === null ? '' : ` ${c.name}`}: ${c.from ?? '(unset)'} → ${c.to ?? '(unset)'}`,
    )
  if (r.truncated.length > 0) lines.push('', `cut to fit: ${r.truncated.join(', ')}`)
  if (options.advisor !== undefined && options.advisor !== null)
    lines.push('', ...renderAdvisor(options.advisor))
  return lines.join('\n') + '\n'
}

/** The advisor's record: its explanation and citations, or why it was unavailable. */
export function renderAdvisor(a: AdvisorRecord): string[] {
  const who = `${a.model} via ${a.via === 'local' ? 'an in-process GGUF model' : 'an OpenAI-compatible endpoint'}`
  if (a.status === 'unavailable')
    return [`Advisor (${who}): unavailable — ${a.reason}; the decision stands on the statistics`]
  const x = a.advice
  const lines = [
    `Advisor (${who}, ${(a.elapsedMs / 1000).toFixed(1)}s; advisory only, it never decides):`,
    `  verdict ${x.verdict}, confidence ${x.confidence}`,
    `  ${x.explanation}`,
    `  suspected cause: ${x.suspectedCause}`,
    `  suggested fix: ${x.suggestedFix}`,
    `  evidence: ${x.evidence.length === 0 ? '(none cited)' : x.evidence.join(', ')}${x.droppedCitations > 0 ? ` (${x.droppedCitations} citation${x.droppedCitations === 1 ? '' : 's'} of things not in the report dropped)` : ''}`,
  ]
  if (x.corrections.length > 0) lines.push(`  corrected: ${x.corrections.join('; ')}`)
  return lines
}

/**
 * The report cut to its top evidence, as the demo prints it: the failing verdict, the first request
 * rows and log templates (one sample each, its first lines), and the change.
 */
export function renderBrief(
  r: DiagnosisReport,
  options: { rows?: number; templates?: number } = {},
): string {
  const lines: string[] = [headline(r)]
  for (const v of r.verdicts.filter((x) => x.phase === 'Failed' || x.phase === 'Error').slice(0, 1))
    lines.push(`  ${v.id}  ${v.phase}: ${v.explanation}`)
  for (const row of r.requests.rows.slice(0, options.rows ?? 3))
    lines.push(`  ${row.id}  ${rowText(row)}`)
  if (r.logs.available && r.logs.templates.length === 0)
    lines.push('  log diff: nothing the canary logs more than stable')
  for (const t of r.logs.templates.slice(0, options.templates ?? 2)) {
    lines.push(`  ${t.id}  ${templateHead(t)}`)
    const sample = (t.samples[0] ?? t.template).split('\n').slice(0, 4).join('\n')
    lines.push(indent(sample, '      │ '))
  }
  if (r.change.items.length > 0)
    lines.push(
      `  change ${r.change.from ?? '—'} → ${r.change.to}: ${r.change.items
        .slice(0, 6)
        .map(
          (c) =>
            `${c.field}${c.name === null ? '' : ` ${c.name}`} ${c.from ?? '(unset)'} → ${c.to ?? '(unset)'}`,
        )
        .join('; ')}`,
    )
  return lines.join('\n') + '\n'
}

/** A few lines for `kanari get` and the demo: the top evidence of each kind. */
export function renderSummary(r: DiagnosisReport): string[] {
  const out: string[] = []
  const failed = r.verdicts.find((v) => v.phase === 'Failed' || v.phase === 'Error')
  if (failed !== undefined) out.push(`${failed.id} ${failed.phase}: ${failed.explanation}`)
  const row = r.requests.rows[0]
  if (
    row !== undefined &&
    row.canaryShare > row.stableShare &&
    (row.status === 0 || row.status >= 400)
  )
    out.push(`${row.id} ${rowText(row)}`)
  const t = r.logs.templates[0]
  if (t !== undefined)
    out.push(`${t.id} ${templateHead(t)}: ${(t.template.split('\n')[0] ?? '').slice(0, 160)}`)
  if (r.change.items.length > 0)
    out.push(
      `changed: ${r.change.items
        .slice(0, 4)
        .map((c) => `${c.field}${c.name === null ? '' : ` ${c.name}`}`)
        .join(', ')}${r.change.items.length > 4 ? ', …' : ''}`,
    )
  return out
}

/** The report as the advisor reads it: ids kept, one sample per template, long lines trimmed. */
export function promptText(r: DiagnosisReport): string {
  const trim = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n)}…`)
  const lines: string[] = [headline(r)]
  lines.push('Verdicts:')
  for (const v of r.verdicts.slice(0, 4)) {
    lines.push(`${v.id} ${v.kind} analysis ${v.phase}: ${trim(v.explanation, 300)}`)
    for (const m of v.metrics)
      if (m.message !== null) lines.push(`  ${m.name} ${m.phase ?? ''}: ${trim(m.message, 200)}`)
  }
  lines.push('Requests (canary vs stable, same window):')
  if (!r.requests.available) lines.push(`unavailable: ${r.requests.note ?? ''}`)
  for (const row of r.requests.rows.slice(0, 8)) lines.push(`${row.id} ${rowText(row)}`)
  lines.push('Log templates the canary logs more than stable:')
  if (r.logs.templates.length === 0) lines.push('(none)')
  for (const t of r.logs.templates.slice(0, 6)) {
    lines.push(`${t.id} ${templateHead(t)}`)
    lines.push(indent(trim(t.samples[0] ?? t.template, 700), '  | '))
  }
  lines.push(`Change from revision ${r.change.from ?? '-'} to ${r.change.to}:`)
  for (const c of r.change.items.slice(0, 12))
    lines.push(
      `${c.id} ${c.field}${c.name === null ? '' : ` ${c.name}`}: ${trim(c.from ?? '(unset)', 120)} -> ${trim(c.to ?? '(unset)', 120)}`,
    )
  return lines.join('\n')
}
