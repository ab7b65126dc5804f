/**
 * The commands that apply a spec and so may make a new revision: `apply`, `undo` and `set env`. The
 * daemon answers each with what happened to every rollout.
 */
import { resolve } from 'node:path'
import { InputError } from '../../errors.js'
import type { AppliedRollout } from '../../local/daemon/api/schemas.js'
import { envNameProblem } from '../../spec/validate/process-env.js'
import { printResult, type CliContext } from '../context.js'
import { connectDaemon, runningDaemon } from '../daemon-connection.js'
import { hasState, resolveStateDir } from '../../local/daemon/paths.js'
import type { CommonOptions } from '../options.js'

interface ApplyResponse {
  results: AppliedRollout[]
}

function appliedText(r: AppliedRollout): string {
  return r.result === 'reverted'
    ? `rollout/${r.name} reverted to stable revision ${r.revision}\n`
    : `rollout/${r.name} ${r.result} (revision ${r.revision})\n`
}

function printApplied(ctx: CliContext, options: CommonOptions, res: ApplyResponse) {
  return printResult(ctx, options.output, res, () => res.results.map(appliedText).join(''))
}

export async function apply(
  ctx: CliContext,
  options: CommonOptions & { filename: string[] },
): Promise<void> {
  const { readManifestFiles } = await import('../manifest-files.js')
  const files = readManifestFiles(options.filename)
  // A daemon started for input it then refuses would be left behind: check all that can be
  // checked here first. The daemon inherits this environment, so its secrets are readable here.
  const stateDir = resolveStateDir(options.stateDir)
  if (runningDaemon(stateDir) === undefined) {
    const { preflightApply, checkServicePortsFree } =
      await import('../../local/daemon/apply-checks.js')
    const set = await preflightApply(files, resolve('.'))
    // With earlier state, the rollouts' own proxies (they outlive a daemon) may hold their ports.
    if (!hasState(stateDir)) await checkServicePortsFree(set)
  }
  const client = await connectDaemon(ctx, options, { creates: true })
  const res = await client.put<ApplyResponse>('/api/v1/rollouts', {
    files,
    baseDir: resolve('.'),
  })
  await printApplied(ctx, options, res)
}

export interface UndoOptions {
  toRevision?: number
  force?: boolean
}

export async function undo(
  ctx: CliContext,
  name: string,
  options: CommonOptions & UndoOptions,
): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const res = await client.post<ApplyResponse>(
    `/api/v1/rollouts/${encodeURIComponent(name)}/undo`,
    {
      ...(options.toRevision === undefined ? {} : { toRevision: options.toRevision }),
      ...(options.force === true ? { force: true } : {}),
    },
  )
  await printApplied(ctx, options, res)
}

export async function setEnv(
  ctx: CliContext,
  name: string,
  assignments: string[],
  options: CommonOptions,
): Promise<void> {
  const values: Record<string, string> = {}
  const unset: string[] = []
  for (const a of assignments) {
    if (a.endsWith('-') && !a.includes('=')) unset.push(a.slice(0, -1))
    else {
      const eq = a.indexOf('=')
      if (eq <= 0)
        throw new InputError(`"${a}" is not KEY=VALUE`, {
          hint: 'e.g. `kanari set env checkout COLOR=green` (KEY- removes KEY)',
        })
      const key = a.slice(0, eq)
      const problem = envNameProblem(key)
      if (problem !== undefined)
        throw new InputError(`rollout ${name}: ${problem}`, {
          hint: `nothing was changed; e.g. \`${ctx.invokedAs} set env ${name} COLOR=green\``,
        })
      values[key] = a.slice(eq + 1)
    }
  }
  const client = await connectDaemon(ctx, options)
  const res = await client.post<ApplyResponse>(`/api/v1/rollouts/${encodeURIComponent(name)}/env`, {
    set: values,
    unset,
  })
  await printApplied(ctx, options, res)
}
