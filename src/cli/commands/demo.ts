/** `kanari demo` (what `npm run demo` runs): the whole progressive-delivery story on this machine. */
import type { Command } from 'commander'
import { runDemo } from '../../demo/run-demo.js'
import type { CliContext } from '../context.js'
import { startDaemonProcess } from './common.js'

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'release three versions of a demo app behind Kanari: one promoted, two rolled back automatically',
    )
    .option('--ci', 'plain progress lines (also whenever stdout is not a terminal)')
    .option('--keep', 'leave the daemon and the demo app running at the end, to explore')
    .option('--rps <n>', 'steady user load in requests per second', (v) => Number(v), 120)
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (options: { ci?: boolean; keep?: boolean; rps: number; output: string }) => {
      const report = await runDemo({
        io: ctx.io,
        ci: options.ci === true,
        keep: options.keep === true,
        json: options.output === 'json',
        rps: options.rps,
        startDaemon: (stateDir) => startDaemonProcess(stateDir),
      })
      ctx.exitCode = report.ok ? 0 : 1
    })
}
