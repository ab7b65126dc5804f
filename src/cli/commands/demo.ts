/** `kanari demo` (what `npm run demo` runs): the whole progressive-delivery story on this machine. */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { outputOption, positiveNumber } from '../options.js'

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'release three versions of a demo app behind Kanari: one promoted, two rolled back automatically',
    )
    .option('--ci', 'plain progress lines (also whenever stdout is not a terminal)')
    .option('--keep', 'leave the daemon and the demo app running at the end, to explore')
    .option(
      '--rps <n>',
      'steady user load in requests per second',
      positiveNumber('requests per second above 0, e.g. --rps 120'),
      120,
    )
    .addOption(outputOption(['table', 'json']))
    .action(async (options: { ci?: boolean; keep?: boolean; rps: number; output: string }) => {
      const { runDemo } = await import('../../demo/run-demo.js')
      const { startDaemon } = await import('../daemon-connection.js')
      const report = await runDemo({
        io: ctx.io,
        ci: options.ci === true,
        keep: options.keep === true,
        json: options.output === 'json',
        rps: options.rps,
        startDaemon: async (stateDir) => (await startDaemon(stateDir)).client,
      })
      ctx.exitCode = report.ok ? 0 : 1
    })
}
