/** `kanari get rollout NAME [--watch]` and `kanari list`. */
import { InputError } from '../../errors.js'
import { VIEW_EVENTS } from '../../local/daemon/api/limits.js'
import type { RolloutListEntry, RolloutView } from '../../local/daemon/api/schemas.js'
import type { DaemonClient } from '../../local/daemon/client.js'
import { printResult, type CliContext } from '../context.js'
import { connectDaemon } from '../daemon-connection.js'
import type { CommonOptions } from '../options.js'
import { renderRolloutList } from '../render/rollout-list.js'
import { renderRolloutView } from '../render/rollout-view.js'

export interface GetOptions extends CommonOptions {
  watch?: boolean
  interval: number
  /** Latest events to show; 0 for all the daemon returns. */
  events: number
}

const KINDS = new Set(['rollout', 'rollouts', 'ro'])

/** `get rollout NAME`, `get NAME`, or — as kubectl does — `get rollouts` (or `get rollout`) to list. */
export async function get(
  ctx: CliContext,
  kindOrName: string,
  maybeName: string | undefined,
  options: GetOptions,
): Promise<void> {
  if (maybeName === undefined && KINDS.has(kindOrName)) {
    if (options.watch === true)
      throw new InputError('--watch follows one rollout', {
        hint: `name it: \`${ctx.invokedAs} get rollout NAME --watch\``,
      })
    await list(ctx, options)
    return
  }
  let name = kindOrName
  if (maybeName !== undefined) {
    if (!KINDS.has(kindOrName))
      throw new InputError(`unknown kind "${kindOrName}"`, {
        hint: `Kanari has rollouts only: \`${ctx.invokedAs} get rollout ${maybeName}\``,
      })
    name = maybeName
  }
  const client = await connectDaemon(ctx, options)
  const path = `/api/v1/rollouts/${encodeURIComponent(name)}`
  if (options.watch !== true) {
    const view = await client.get<RolloutView>(path)
    const shown =
      options.output === 'table'
        ? { ...view, events: await eventsToShow(client, path, view, options.events) }
        : view
    await printResult(ctx, options.output, view, () =>
      renderRolloutView(shown, { events: options.events }),
    )
    return
  }
  const { watch } = await import('./watch.js')
  await watch(ctx, options, () => client.get<RolloutView>(path))
}

/**
 * The view carries the latest VIEW_EVENTS events; asked for more, read them from the events route,
 * which returns the latest EVENTS_PAGE.
 */
async function eventsToShow(
  client: DaemonClient,
  path: string,
  view: RolloutView,
  wanted: number,
): Promise<RolloutView['events']> {
  const more = wanted === 0 || wanted > view.events.length
  if (!more || view.events.length < VIEW_EVENTS) return view.events
  return (await client.get<{ items: RolloutView['events'] }>(`${path}/events`)).items
}

export async function list(ctx: CliContext, options: CommonOptions): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const res = await client.get<{ items: RolloutListEntry[]; daemon?: RolloutView['daemon'] }>(
    '/api/v1/rollouts',
  )
  await printResult(
    ctx,
    options.output,
    res,
    () =>
      renderRolloutList(res.items, ctx.invokedAs) +
      // Every rollout is stuck while state cannot be saved: as loud here as in `get`.
      (res.daemon === undefined || res.daemon.stateWritable
        ? ''
        : `Daemon: state cannot be saved: ${res.daemon.problem ?? 'unknown cause'}\n`),
  )
}
