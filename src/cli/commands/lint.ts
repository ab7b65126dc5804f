/** `kanari lint -f FILE…`: every problem in the manifests at once, with file:line and path. */
import type { Command } from 'commander'
import { checkRolloutSet } from '../../manifests/rollout-set.js'
import { formatProblem } from '../../spec/problems.js'
import { filenameOption, readManifestFiles } from '../manifest-files.js'
import { parseOutputFormat, printResult, type CliContext, type OutputFormat } from '../context.js'

export function registerLintCommand(program: Command, ctx: CliContext): void {
  filenameOption(
    program
      .command('lint')
      .description(
        'validate Rollout and AnalysisTemplate manifests; prints every problem with file:line and path',
      ),
    'the manifests (templates may be in another file)',
  )
    .option(
      '-o, --output <format>',
      'table, json or yaml',
      parseOutputFormat,
      'table' as OutputFormat,
    )
    .action((options: { filename: string[]; output: OutputFormat }) => {
      const files = readManifestFiles(options.filename)
      const { set, problems } = checkRolloutSet(files)
      const objects = set.documents.map((d) => {
        const v = d.value as { kind?: string; metadata?: { name?: string } } | null
        return {
          kind: typeof v?.kind === 'string' ? v.kind : '?',
          name: typeof v?.metadata?.name === 'string' ? v.metadata.name : '?',
          file: d.file,
        }
      })
      const ok = problems.length === 0
      ctx.exitCode = ok ? 0 : 1
      printResult(ctx, options.output, { valid: ok, objects, problems }, () =>
        ok
          ? objects.map((o) => `OK ${o.kind.toLowerCase()}/${o.name} (${o.file})\n`).join('')
          : problems.map((p) => formatProblem(p) + '\n').join('') +
            `${problems.length} problem${problems.length === 1 ? '' : 's'}\n`,
      )
    })
}
