/** `kanari lint -f FILE…`: every problem in the manifests at once, with file:line and path. */
import type { Command } from 'commander'
import type { CliContext, OutputFormat } from '../context.js'
import { filenameOption, outputOption } from '../options.js'

export function registerLintCommand(program: Command, ctx: CliContext): void {
  filenameOption(
    program
      .command('lint')
      .description(
        'validate Rollout and AnalysisTemplate manifests; prints every problem with file:line and path',
      ),
    'the manifests (templates may be in another file)',
  )
    .addOption(outputOption())
    .action(async (options: { filename: string[]; output: OutputFormat }) => {
      await (await import('../actions/lint.js')).lint(ctx, options)
    })
}
