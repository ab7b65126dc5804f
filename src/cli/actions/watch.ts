/**
 * `get --watch`. On a terminal: a compact screen (see render/watch-view.ts) redrawn in place each
 * refresh — the cursor goes home and each line is rewritten and cleared to its end — so it fits the
 * terminal and leaves no copies in the scrollback. Elsewhere: a line per change, or a JSON object per
 * refresh with -o json. Stops on Ctrl-C, or when its output is closed.
 */
import type { RolloutView } from '../../local/daemon/api/schemas.js'
import type { CliContext } from '../context.js'
import type { CommonOptions } from '../options.js'
import { renderWatchView } from '../render/watch-view.js'

const HOME = '\x1b[H'
const CLEAR_SCREEN = '\x1b[2J'
const CLEAR_TO_LINE_END = '\x1b[K'
const CLEAR_TO_SCREEN_END = '\x1b[J'

/** Waits `ms`, or less if `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}

export async function watch(
  ctx: CliContext,
  options: CommonOptions & { interval: number },
  fetchView: () => Promise<RolloutView>,
): Promise<void> {
  const out = ctx.io.stdout
  const screen = out.isTTY === true && options.output === 'table'
  const intervalMs = Math.max(200, options.interval * 1000)
  const stop = new AbortController()
  const interrupted = (): void => stop.abort()
  process.once('SIGINT', interrupted)
  // Closed by its reader (in-process callers end it; a closed pipe ends the process in main).
  const closed = (): boolean => !out.writable
  let last = ''
  let frames = 0
  try {
    while (!stop.signal.aborted && !closed()) {
      const view = await fetchView()
      if (closed()) break
      if (options.output === 'json') out.write(JSON.stringify(view) + '\n')
      else if (screen) {
        const lines = renderWatchView(
          view,
          { columns: out.columns ?? 80, rows: out.rows ?? 24 },
          `every ${options.interval}s · Ctrl-C stops · \`${ctx.invokedAs} get rollout ${view.name}\` shows everything`,
        )
        out.write(
          (frames === 0 ? CLEAR_SCREEN : '') +
            HOME +
            lines.map((l) => l + CLEAR_TO_LINE_END).join('\n') +
            CLEAR_TO_SCREEN_END,
        )
        frames++
      } else {
        const line = `${new Date().toISOString().slice(11, 19)} ${view.name} ${view.status.phase} canary ${view.status.canaryRevision ?? '—'} at ${view.status.traffic.canaryWeight}% — ${view.status.message}`
        const key = line.slice(9)
        if (key !== last) out.write(line + '\n')
        last = key
      }
      await sleep(intervalMs, stop.signal)
    }
  } finally {
    process.removeListener('SIGINT', interrupted)
    // Leave the prompt below the last screen.
    if (frames > 0 && !closed()) out.write('\n')
  }
}
