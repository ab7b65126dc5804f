/**
 * `kanari up`, `kanari down` and the internal `kanari daemon` (the daemon process itself).
 */
import { rmSync, writeSync } from 'node:fs'
import type { Command } from 'commander'
import { isAlive, readApiInfo, apiInfoPath } from '../../local/daemon/paths.js'
import type { WriteHealth } from '../../local/store/index.js'
import { printResult, type CliContext } from '../context.js'
import {
  daemonClient,
  stateDirOf,
  startDaemonProcess,
  withCommon,
  type CommonOptions,
} from './common.js'

export function registerDaemonCommands(program: Command, ctx: CliContext): void {
  withCommon(
    program
      .command('up')
      .description('start the local daemon in the background (state in --state-dir)'),
  )
    .option('--foreground', 'run the daemon in this process until interrupted')
    .action(async (options: CommonOptions & { foreground?: boolean }) => {
      const stateDir = stateDirOf(options)
      const info = readApiInfo(stateDir)
      if (info !== undefined && isAlive(info.pid)) {
        printResult(
          ctx,
          options.output,
          { running: true, alreadyRunning: true, pid: info.pid, url: info.url, stateDir },
          () => `daemon already running (pid ${info.pid}, ${info.url}, state ${stateDir})\n`,
        )
        return
      }
      if (options.foreground === true) {
        await runDaemon(stateDir)
        return
      }
      const client = await startDaemonProcess(stateDir)
      // A daemon on a full disk starts, but cannot save state: say so now, not at the first apply.
      const { daemon } = await client.get<{ daemon: WriteHealth }>('/api/v1/health')
      printResult(
        ctx,
        options.output,
        {
          running: true,
          alreadyRunning: false,
          pid: client.info.pid,
          url: client.info.url,
          stateDir,
          ...daemon,
        },
        () =>
          `daemon started (pid ${client.info.pid}, ${client.info.url}, state ${stateDir})\n` +
          (daemon.problem === null ? '' : `warning: state cannot be saved: ${daemon.problem}\n`),
      )
    })

  withCommon(
    program.command('down').description('stop the local daemon and every app replica it runs'),
  ).action(async (options: CommonOptions) => {
    const stateDir = stateDirOf(options)
    const info = readApiInfo(stateDir)
    if (info === undefined || !isAlive(info.pid)) {
      rmSync(apiInfoPath(stateDir), { force: true })
      printResult(
        ctx,
        options.output,
        { stopped: false, running: false, stateDir },
        () => `no daemon running in ${stateDir}\n`,
      )
      return
    }
    const client = await daemonClient(options)
    await client.post('/api/v1/shutdown')
    const deadline = Date.now() + 30_000
    while (isAlive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    const stopped = !isAlive(info.pid)
    if (!stopped) ctx.exitCode = 5
    printResult(ctx, options.output, { stopped, pid: info.pid, stateDir }, () =>
      stopped
        ? `daemon stopped (pid ${info.pid})\n`
        : `daemon (pid ${info.pid}) still running after 30s\n`,
    )
  })

  program
    .command('daemon', { hidden: true })
    .description('run the daemon in the foreground (used by `kanari up`)')
    .option('--state-dir <dir>', 'state directory')
    .option('--api-port <port>', 'API port on 127.0.0.1', (v) => Number(v), 0)
    .action(async (options: { stateDir?: string; apiPort: number }) => {
      await runDaemon(stateDirOf(options), options.apiPort)
    })
}

/** Runs a daemon until SIGTERM/SIGINT, then drains and stops it. */
async function runDaemon(stateDir: string, apiPort = 0): Promise<void> {
  let stopped: () => void = () => undefined
  const done = new Promise<void>((resolve) => (stopped = resolve))
  // Loaded here, not at the top: the HTTP server stack is only needed in the daemon process, and
  // every other command would pay for loading it.
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
