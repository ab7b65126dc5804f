/** `kanari up`, `kanari down`, and running the daemon in this process. */
import { rmSync, writeSync } from 'node:fs'
import type { WriteHealth } from '../../local/store/index.js'
import { apiInfoPath, isRunning, resolveStateDir } from '../../local/daemon/paths.js'
import { printResult, type CliContext } from '../context.js'
import { runningDaemon, startDaemon } from '../daemon-connection.js'
import type { CommonOptions } from '../options.js'

export async function up(
  ctx: CliContext,
  options: CommonOptions & { foreground?: boolean },
): Promise<void> {
  const stateDir = resolveStateDir(options.stateDir)
  const running = runningDaemon(stateDir)
  if (running === undefined && options.foreground === true) {
    await runDaemon(stateDir)
    return
  }
  const { client, started } =
    running === undefined ? await startDaemon(stateDir) : { client: running, started: false }
  const { pid, url } = client.info
  // A daemon on a full disk starts, but cannot save state: say so now, not at the first apply.
  const { daemon } = await client.get<{ daemon: WriteHealth }>('/api/v1/health')
  await printResult(
    ctx,
    options.output,
    { running: true, alreadyRunning: !started, pid, url, stateDir, ...daemon },
    () =>
      (started
        ? `daemon started (pid ${pid}, ${url}, state ${stateDir})\n`
        : `daemon already running (pid ${pid}, ${url}, state ${stateDir})\n`) +
      (daemon.problem === null ? '' : `warning: state cannot be saved: ${daemon.problem}\n`),
  )
}

export async function down(ctx: CliContext, options: CommonOptions): Promise<void> {
  const stateDir = resolveStateDir(options.stateDir)
  const client = runningDaemon(stateDir)
  if (client === undefined) {
    rmSync(apiInfoPath(stateDir), { force: true })
    await printResult(
      ctx,
      options.output,
      { stopped: false, running: false, stateDir },
      () => `no daemon running in ${stateDir}\n`,
    )
    return
  }
  const { pid } = client.info
  await client.post('/api/v1/shutdown')
  const deadline = Date.now() + 30_000
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  const stopped = !isRunning(pid)
  if (!stopped) ctx.exitCode = 5
  await printResult(ctx, options.output, { stopped, pid, stateDir }, () =>
    stopped ? `daemon stopped (pid ${pid})\n` : `daemon (pid ${pid}) still running after 30s\n`,
  )
}

/** Runs a daemon until SIGTERM/SIGINT, then drains and stops it. */
export async function runDaemon(stateDir: string, apiPort = 0): Promise<void> {
  let stopped: () => void = () => undefined
  const done = new Promise<void>((resolve) => (stopped = resolve))
  const { Daemon } = await import('../../local/daemon/daemon.js')
  const daemon = await Daemon.start({ stateDir, apiPort, onStopped: () => stopped() })
  await new Promise<void>((resolve) => {
    void done.then(resolve)
    const stop = (signal: string): void => {
      // Written as the daemon's own lines are: on a full disk the line is lost, the stop goes on.
      try {
        writeSync(1, `${new Date().toISOString()} ${signal}: draining and stopping\n`)
      } catch {
        // dropped
      }
      void daemon.stop({ keepReplicas: false }).finally(() => resolve())
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
}
