/** `get --watch`: redraws in place on a TTY; elsewhere prints a line per change. */
import type { RolloutView } from '../../local/daemon/api/schemas.js'
import type { CliContext } from '../context.js'
import type { CommonOptions } from '../options.js'
import { renderRolloutView } from '../render/rollout-view.js'

export async function watch(
  ctx: CliContext,
  options: CommonOptions & { interval: number },
  fetchView: () => Promise<RolloutView>,
): Promise<void> {
  const tty = ctx.io.stdout.isTTY === true && options.output === 'table'
  let last = ''
  let stop = false
  process.once('SIGINT', () => (stop = true))
  while (!stop) {
    const view = await fetchView()
    if (options.output === 'json') ctx.io.stdout.write(JSON.stringify(view) + '\n')
    else if (tty) ctx.io.stdout.write(`\x1b[H\x1b[2J${renderRolloutView(view)}`)
    else {
      const line = `${new Date().toISOString().slice(11, 19)} ${view.name} ${view.status.phase} canary ${view.status.canaryRevision ?? '—'} at ${view.status.traffic.canaryWeight}% — ${view.status.message}`
      const key = line.slice(9)
      if (key !== last) ctx.io.stdout.write(line + '\n')
      last = key
    }
    await new Promise((r) => setTimeout(r, Math.max(200, options.interval * 1000)))
  }
}
