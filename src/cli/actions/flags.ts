/** The `kanari flags` actions: each calls the daemon's flag API (lint reads files itself). */
import { userInfo } from 'node:os'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { InputError } from '../../errors.js'
import type { FlagDefinition, Resolution } from '../../flags/index.js'
import { formatFlagProblem, type FlagFileProblem } from '../../manifests/flag-file.js'
import { loadFlagFileAnyDepth } from '../../manifests/flag-file-thread.js'
import { renderTable } from '../../report/text-table.js'
import { printResult, type CliContext } from '../context.js'
import { connectDaemon } from '../daemon-connection.js'
import type { CommonOptions } from '../options.js'

export type FlagOptions = CommonOptions

interface FlagListItem {
  key: string
  state: string
  type: string
  defaultVariant: string | null
  variants: string[]
  targeting: boolean
  source: string
  shadows: string[]
}

interface SourceItem {
  path: string
  flags: number
  problem: string | null
  problems: FlagFileProblem[]
}

interface AuditItem {
  id: number
  at: number
  actor: string
  action: string
  key: string
  before: FlagDefinition | null
  after: FlagDefinition | null
}

/** Who the audit log names for changes made from this shell. */
function actor(): string {
  try {
    return `${userInfo().username} (cli)`
  } catch {
    return 'cli'
  }
}

const path = (key: string) => `/api/v1/flags/${encodeURIComponent(key)}`

function sourceText(s: string): string {
  return s.startsWith('file:') ? s.slice(5) : s
}

export async function listFlags(ctx: CliContext, options: FlagOptions): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const res = await client.get<{ items: FlagListItem[]; sources: SourceItem[] }>('/api/v1/flags')
  await printResult(ctx, options.output, res, () => {
    const table =
      res.items.length === 0
        ? `no flags (watch a file with \`${ctx.invokedAs} flags watch -f flags.json\`)\n`
        : renderTable(
            ['KEY', 'STATE', 'TYPE', 'DEFAULT', 'VARIANTS', 'TARGETING', 'SOURCE'],
            res.items.map((f) => [
              f.key,
              f.state,
              f.type,
              f.defaultVariant ?? '(code default)',
              f.variants.join(','),
              f.targeting ? 'yes' : '—',
              sourceText(f.source) +
                (f.shadows.length > 0 ? ` (over ${f.shadows.map(sourceText).join(', ')})` : ''),
            ]),
          )
    const problems = res.sources
      .filter((s) => s.problem !== null)
      .map((s) => `flag file ${s.path}: ${s.problem}\n`)
      .join('')
    return table + problems
  })
}

export async function getFlag(ctx: CliContext, key: string, options: FlagOptions): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const res = await client.get<{
    key: string
    flag: FlagDefinition
    source: string
    shadows: string[]
    type: string
    audit: AuditItem[]
  }>(path(key))
  await printResult(ctx, options.output, res, () => {
    const lines = [
      `flag/${res.key} (${res.type}) from ${sourceText(res.source)}${res.shadows.length > 0 ? `, over ${res.shadows.map(sourceText).join(', ')}` : ''}`,
      JSON.stringify(res.flag, null, 2),
      ...(res.audit.length === 0 ? [] : ['recent changes:', ...res.audit.slice(-5).map(auditLine)]),
    ]
    return lines.join('\n') + '\n'
  })
}

function auditLine(e: AuditItem): string {
  const what =
    e.after === null ? 'removed' : e.before === null ? 'added' : changed(e.before, e.after)
  return `  ${new Date(e.at).toISOString()} ${e.key} ${e.action} by ${e.actor}: ${what}`
}

/** The fields that changed, briefly. */
function changed(before: FlagDefinition, after: FlagDefinition): string {
  const out: string[] = []
  if (before.state !== after.state) out.push(`state ${before.state} → ${after.state}`)
  if ((before.defaultVariant ?? null) !== (after.defaultVariant ?? null))
    out.push(
      `defaultVariant ${before.defaultVariant ?? 'null'} → ${after.defaultVariant ?? 'null'}`,
    )
  if (JSON.stringify(before.targeting) !== JSON.stringify(after.targeting))
    out.push('targeting changed')
  if (JSON.stringify(before.variants) !== JSON.stringify(after.variants))
    out.push('variants changed')
  if (JSON.stringify(before.metadata) !== JSON.stringify(after.metadata))
    out.push('metadata changed')
  return out.length === 0 ? 'no change' : out.join(', ')
}

/** The flag given by -f or --json: the flag itself, or a document whose flags hold `key`. */
function flagFrom(key: string, text: string, where: string): unknown {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new InputError(
      `${where} is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
  const flags = (parsed as { flags?: unknown } | null)?.flags
  if (flags !== null && typeof flags === 'object' && !Array.isArray(flags)) {
    const flag = (flags as Record<string, unknown>)[key]
    if (flag === undefined)
      throw new InputError(`${where} holds no flag ${key}`, {
        hint: `its flags: ${Object.keys(flags).join(', ') || 'none'}`,
      })
    return flag
  }
  return parsed
}

export async function setFlag(
  ctx: CliContext,
  key: string,
  options: FlagOptions & { filename?: string; json?: string; defaultVariant?: string },
): Promise<void> {
  const given = [options.filename, options.json, options.defaultVariant].filter(
    (v) => v !== undefined,
  )
  if (given.length !== 1)
    throw new InputError('give one of -f FILE, --json FLAG or --default-variant VARIANT', {
      hint: `e.g. ${ctx.invokedAs} flags set ${key} --default-variant on`,
    })
  const client = await connectDaemon(ctx, options, {
    creates: options.defaultVariant === undefined,
  })
  let flag: unknown
  if (options.defaultVariant !== undefined) {
    const current = await client.get<{ flag: FlagDefinition }>(path(key))
    flag = { ...current.flag, defaultVariant: options.defaultVariant }
  } else if (options.filename !== undefined) {
    let text: string
    try {
      text = readFileSync(options.filename, 'utf8')
    } catch (err) {
      throw new InputError(
        `cannot read ${options.filename}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      )
    }
    flag = flagFrom(key, text, options.filename)
  } else flag = flagFrom(key, options.json as string, '--json')
  const res = await client.put<{ key: string; flag: FlagDefinition; source: string }>(path(key), {
    flag,
    actor: actor(),
  })
  await printResult(
    ctx,
    options.output,
    res,
    () =>
      `flag/${res.key} set (${res.flag.state}, default ${res.flag.defaultVariant ?? 'code default'})\n`,
  )
}

async function setState(
  ctx: CliContext,
  key: string,
  options: FlagOptions,
  verb: 'enable' | 'disable',
): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const res = await client.post<{ key: string; flag: FlagDefinition }>(`${path(key)}/${verb}`, {
    actor: actor(),
  })
  await printResult(ctx, options.output, res, () => `flag/${res.key} ${verb}d\n`)
}

export function enableFlag(ctx: CliContext, key: string, options: FlagOptions): Promise<void> {
  return setState(ctx, key, options, 'enable')
}

export function disableFlag(ctx: CliContext, key: string, options: FlagOptions): Promise<void> {
  return setState(ctx, key, options, 'disable')
}

export async function deleteFlag(
  ctx: CliContext,
  key: string,
  options: FlagOptions,
): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const res = await client.request<{ deleted: string; servedFrom: string | null }>(
    'DELETE',
    path(key),
    { actor: actor() },
  )
  await printResult(ctx, options.output, res, () =>
    res.servedFrom === null
      ? `flag/${res.deleted} deleted\n`
      : `flag/${res.deleted} deleted; ${sourceText(res.servedFrom)} serves it again\n`,
  )
}

export async function evalFlag(
  ctx: CliContext,
  key: string,
  options: FlagOptions & { context: Record<string, unknown>; type?: string },
): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const res = await client.post<Resolution>(`${path(key)}/evaluate`, {
    context: options.context,
    ...(options.type === undefined ? {} : { type: options.type }),
  })
  if (res.reason === 'ERROR') ctx.exitCode = 1
  await printResult(ctx, options.output, res, () => {
    if (res.reason === 'ERROR')
      return `flag/${res.key}: ${res.errorCode ?? 'ERROR'} — ${res.errorMessage ?? ''} (your code gets its default)\n`
    if (res.value === undefined)
      return `flag/${res.key}: no value (${res.reason}): your code gets its default\n`
    return `flag/${res.key} = ${JSON.stringify(res.value)} (variant ${res.variant ?? '—'}, ${res.reason})\n`
  })
}

export async function watchFiles(
  ctx: CliContext,
  options: FlagOptions & { filename: string[] },
): Promise<void> {
  const client = await connectDaemon(ctx, options, { creates: true })
  const added: SourceItem[] = []
  for (const file of options.filename)
    added.push(
      await client.put<SourceItem>('/api/v1/flag-sources', { path: resolve(file), actor: actor() }),
    )
  await printResult(ctx, options.output, { items: added }, () =>
    added.map((s) => `watching ${s.path} (${s.flags} flag${s.flags === 1 ? '' : 's'})\n`).join(''),
  )
}

export async function unwatchFiles(
  ctx: CliContext,
  options: FlagOptions & { filename: string[] },
): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const removed: string[] = []
  for (const file of options.filename) {
    await client.request('DELETE', '/api/v1/flag-sources', { path: resolve(file), actor: actor() })
    removed.push(resolve(file))
  }
  await printResult(ctx, options.output, { removed }, () =>
    removed.map((p) => `stopped watching ${p}\n`).join(''),
  )
}

export async function auditFlags(
  ctx: CliContext,
  key: string | undefined,
  options: FlagOptions & { limit: number },
): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const query = new URLSearchParams({
    limit: String(options.limit),
    ...(key === undefined ? {} : { key }),
  })
  const res = await client.get<{ items: AuditItem[] }>(`/api/v1/flag-audit?${query.toString()}`)
  await printResult(ctx, options.output, res, () =>
    res.items.length === 0
      ? 'no flag changes recorded\n'
      : res.items
          .map(auditLine)
          .map((l) => l.trimStart() + '\n')
          .join(''),
  )
}

export async function lintFlags(
  ctx: CliContext,
  options: { filename: string[]; output: CommonOptions['output'] },
): Promise<void> {
  const { readManifestFiles } = await import('../manifest-files.js')
  const files = readManifestFiles(options.filename)
  const results = await Promise.all(
    files.map(async (f) => {
      const loaded = await loadFlagFileAnyDepth(f.text, f.name)
      return {
        file: f.name,
        valid: loaded.document !== undefined,
        flags: Object.keys(loaded.document?.flags ?? {}),
        problems: loaded.problems,
      }
    }),
  )
  const problems = results.flatMap((r) => r.problems)
  const errors = problems.filter((p) => p.severity === 'error').length
  ctx.exitCode = errors > 0 ? 1 : 0
  await printResult(
    ctx,
    options.output,
    { valid: errors === 0, files: results },
    () =>
      problems.map((p) => formatFlagProblem(p) + '\n').join('') +
      results
        .filter((r) => r.valid)
        .map((r) => `OK ${r.file} (${r.flags.length} flag${r.flags.length === 1 ? '' : 's'})\n`)
        .join('') +
      (errors > 0
        ? `${errors} problem${errors === 1 ? '' : 's'}; the file is refused whole until they are fixed\n`
        : ''),
  )
}
