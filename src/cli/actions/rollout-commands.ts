/** The commands that act on a rollout in place: promote, abort, retry, pause, resume, delete. */
import type { RolloutView } from '../../local/daemon/api/schemas.js'
import { printResult, type CliContext } from '../context.js'
import { connectDaemon } from '../daemon-connection.js'
import type { CommonOptions } from '../options.js'

export type RolloutCommandName = 'promote' | 'abort' | 'retry' | 'pause' | 'resume'

/** Sends `type` to the rollout; prints the rollout's phase and message after it as `verb`. */
export async function runCommand(
  ctx: CliContext,
  name: string,
  type: RolloutCommandName,
  options: CommonOptions,
  verb: string,
  body: Record<string, unknown> = {},
): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const view = await client.post<RolloutView>(
    `/api/v1/rollouts/${encodeURIComponent(name)}/${type}`,
    body,
  )
  await printResult(
    ctx,
    options.output,
    view,
    () => `rollout/${view.name} ${verb}: ${view.status.phase} — ${view.status.message}\n`,
  )
}

export async function deleteRollout(
  ctx: CliContext,
  name: string,
  options: CommonOptions,
): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const res = await client.delete<{ deleted: string }>(
    `/api/v1/rollouts/${encodeURIComponent(name)}`,
  )
  await printResult(ctx, options.output, res, () => `rollout/${res.deleted} deleted\n`)
}
