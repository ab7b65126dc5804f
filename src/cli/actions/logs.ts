/** `kanari logs NAME`: the latest log lines of a rollout's stable (or canary) replicas. */
import { printResult, type CliContext } from '../context.js'
import { connectDaemon } from '../daemon-connection.js'
import type { CommonOptions } from '../options.js'

export interface LogsOptions extends CommonOptions {
  canary?: boolean
  tail: number
}

export async function logs(ctx: CliContext, name: string, options: LogsOptions): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const res = await client.get<{ revision: number; lines: string[] }>(
    `/api/v1/rollouts/${encodeURIComponent(name)}/logs?canary=${options.canary === true}&lines=${options.tail}`,
  )
  await printResult(ctx, options.output, res, () => res.lines.map((l) => `${l}\n`).join(''))
}
