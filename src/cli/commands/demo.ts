/** `kanari demo` (what `npm run demo` runs): the whole progressive-delivery story on this machine. */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { InterruptSignal } from '../../demo/run-demo.js'
import type { CliContext } from '../context.js'
import { outputOption, positiveNumber } from '../options.js'

/** The shell's convention for a process ended by a signal: 128 + the signal's number. */
const EXIT_CODES: Record<InterruptSignal, number> = { SIGINT: 130, SIGTERM: 143 }

/** Ctrl-C and SIGTERM reach the demo as calls instead of ending the process, so it can clean up. */
function processInterrupts(listener: (signal: InterruptSignal) => void): () => void {
  const onInt = (): void => listener('SIGINT')
  const onTerm = (): void => listener('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  return () => {
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onTerm)
  }
}

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'release three versions of a demo app behind Kanari: one promoted, two rolled back automatically',
    )
    .option('--ci', 'plain progress lines (also whenever stdout is not a terminal)')
    .option(
      '--keep',
      'leave the daemon and the demo app running when the demo ends, to explore (an interrupt before then still stops them)',
    )
    .option(
      '--rps <n>',
      'steady user load in requests per second',
      positiveNumber('requests per second above 0, e.g. --rps 120'),
      120,
    )
    .option(
      '--advisor-model-file <file>',
      'a GGUF model (node-llama-cpp): an advisor explains each rollback; it never decides',
    )
    .addOption(outputOption(['table', 'json']))
    .action(
      async (options: {
        ci?: boolean
        keep?: boolean
        rps: number
        output: string
        advisorModelFile?: string
      }) => {
        const { runDemo } = await import('../../demo/run-demo.js')
        const { startDaemon } = await import('../daemon-connection.js')
        const report = await runDemo({
          io: ctx.io,
          ci: options.ci === true,
          keep: options.keep === true,
          json: options.output === 'json',
          rps: options.rps,
          startDaemon: async (stateDir) => (await startDaemon(stateDir)).client,
          onInterrupt: processInterrupts,
          ...(options.advisorModelFile === undefined
            ? {}
            : { advisorModelFile: resolve(options.advisorModelFile) }),
        })
        if (report.interrupted === undefined) {
          ctx.exitCode = report.ok ? 0 : 1
          return
        }
        // What was interrupted may still hold a timer or a socket (a daemon-start poll, the load's
        // last requests); everything they served is gone, and the user asked to stop now.
        process.exit(EXIT_CODES[report.interrupted])
      },
    )
}
