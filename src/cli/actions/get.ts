/** `kanari get rollout NAME [--watch]` and `kanari list`. */
import { InputError } from '../../errors.js'
import type { RolloutListEntry, RolloutView } from '../../local/daemon/api/schemas.js'
import { renderTable } from '../../report/text-table.js'
import { printResult, type CliContext } from '../context.js'
import { connectDaemon } from '../daemon-connection.js'
import type { CommonOptions } from '../options.js'
import { renderRolloutView } from '../render/rollout-view.js'

export interface GetOptions extends CommonOptions {
  watch?: boolean
  interval: number
}

const KINDS = new Set(['rollout', 'rollouts', 'ro'])

export async function get(
  ctx: CliContext,
  kindOrName: string,
  maybeName: string | undefined,
  options: GetOptions,
): Promise<void> {
  let name = kindOrName
  if (maybeName !== undefined) {
    if (!KINDS.has(kindOrName))
      throw new InputError(`unknown kind "${kindOrName}"`, {
        hint: 'use `kanari get rollout NAME`',
      })
    name = maybeName
  }
  const client = await connectDaemon(ctx, options)
  const path = `/api/v1/rollouts/${encodeURIComponent(name)}`
  if (options.watch !== true) {
    const view = await client.get<RolloutView>(path)
    await printResult(ctx, options.output, view, () => renderRolloutView(view))
    return
  }
  const { watch } = await import('./watch.js')
  await watch(ctx, options, () => client.get<RolloutView>(path))
}

export async function list(ctx: CliContext, options: CommonOptions): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const res = await client.get<{ items: RolloutListEntry[] }>('/api/v1/rollouts')
  await printResult(ctx, options.output, res, () =>
    res.items.length === 0
      ? 'no rollouts (apply one with `kanari apply -f rollout.yaml`)\n'
      : renderTable(
          ['NAME', 'PHASE', 'STABLE', 'CANARY', 'WEIGHT', 'SERVICE', 'MESSAGE'],
          res.items.map((r) => [
            r.name,
            r.phase,
            String(r.stableRevision ?? '—'),
            String(r.canaryRevision ?? '—'),
            `${r.canaryWeight}%`,
            r.serviceUrl,
            r.message,
          ]),
        ),
  )
}
