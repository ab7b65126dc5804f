/**
 * What changed between the stable revision's workload and the diagnosed one's: the command, its
 * arguments, the working directory, each environment variable (secret values hidden), and the image
 * where there is one (Kubernetes).
 */
import { isSecretName, REDACTED, type Redactor } from './redact.js'
import { REPORT_LIMITS, type ChangeItem, type RevisionChange } from './report.js'

/** A revision's workload as far as a diagnosis compares it. */
export interface WorkloadShape {
  command?: string[]
  cwd?: string
  env?: Record<string, string>
  image?: string
}

function clip(text: string): string {
  return text.length <= REPORT_LIMITS.text ? text : `${text.slice(0, REPORT_LIMITS.text - 1)}…`
}

/** Shell-like quoting of arguments, only where needed, for reading. */
function argsText(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')
}

export function diffRevisions(
  from: { revision: number; workload: WorkloadShape } | null,
  to: { revision: number; workload: WorkloadShape },
  secretEnv: readonly string[],
  redactor: Redactor,
): RevisionChange {
  const items: Omit<ChangeItem, 'id'>[] = []
  const a = from?.workload ?? {}
  const b = to.workload
  const shown = (v: string | undefined): string | null =>
    v === undefined ? null : clip(redactor.text(v))
  const field = (
    name: ChangeItem['field'],
    before: string | undefined,
    after: string | undefined,
  ): void => {
    if (before === after) return
    items.push({ field: name, name: null, from: shown(before), to: shown(after), redacted: false })
  }
  field('command', a.command?.[0], b.command?.[0])
  const argsA = a.command === undefined ? undefined : argsText(a.command.slice(1))
  const argsB = b.command === undefined ? undefined : argsText(b.command.slice(1))
  field('args', argsA, argsB)
  field('cwd', a.cwd, b.cwd)
  field('image', a.image, b.image)
  const envA = a.env ?? {}
  const envB = b.env ?? {}
  for (const name of [...new Set([...Object.keys(envA), ...Object.keys(envB)])].sort()) {
    const before = envA[name]
    const after = envB[name]
    if (before === after) continue
    const secret = isSecretName(name, secretEnv)
    if (secret) redactor.count += (before === undefined ? 0 : 1) + (after === undefined ? 0 : 1)
    items.push({
      field: 'env',
      name,
      from: before === undefined ? null : secret ? REDACTED : shown(before),
      to: after === undefined ? null : secret ? REDACTED : shown(after),
      redacted: secret,
    })
  }
  const kept = items.slice(0, REPORT_LIMITS.changes)
  return {
    available: true,
    note: null,
    from: from?.revision ?? null,
    to: to.revision,
    items: kept.map((item, i) => ({ id: `C${i + 1}`, ...item })),
    omitted: items.length - kept.length,
  }
}

/** The values of a workload's secret environment variables, to hide wherever they show up. */
export function secretValues(
  workloads: (WorkloadShape | undefined)[],
  secretEnv: readonly string[],
): string[] {
  const out: string[] = []
  for (const w of workloads)
    for (const [name, value] of Object.entries(w?.env ?? {}))
      if (isSecretName(name, secretEnv)) out.push(value)
  return out
}
