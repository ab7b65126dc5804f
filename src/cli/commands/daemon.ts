/**
 * `kanari up`, `kanari down` and the internal `kanari daemon` (the daemon process itself).
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { stateDirOption, wholeNumber, withCommon, type CommonOptions } from '../options.js'

export function registerDaemonCommands(program: Command, ctx: CliContext): void {
  withCommon(
    program
      .command('up')
      .description('start the local daemon in the background (state in --state-dir)'),
  )
    .option('--foreground', 'run the daemon in this process until interrupted')
    .action(async (options: CommonOptions & { foreground?: boolean }) => {
      await (await import('../actions/daemon.js')).up(ctx, options)
    })

  withCommon(
    program.command('down').description('stop the local daemon and every app replica it runs'),
  ).action(async (options: CommonOptions) => {
    await (await import('../actions/daemon.js')).down(ctx, options)
  })

  program
    .command('daemon', { hidden: true })
    .description('run the daemon in the foreground (used by `kanari up`)')
    .addOption(stateDirOption())
    .option('--api-port <port>', 'API port on 127.0.0.1', wholeNumber(0, 'a port number'), 0)
    .action(async (options: { stateDir?: string; apiPort: number }) => {
      const { runDaemon } = await import('../actions/daemon.js')
      const { resolveStateDir } = await import('../../local/daemon/paths.js')
      await runDaemon(resolveStateDir(options.stateDir), options.apiPort)
    })
}
