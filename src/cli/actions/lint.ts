/** `kanari lint`: checks a set of manifests and prints every problem, or what is valid. */
import { checkRolloutSet } from '../../manifests/rollout-set.js'
import { formatProblem } from '../../spec/problems.js'
import { printResult, type CliContext, type OutputFormat } from '../context.js'
import { readManifestFiles } from '../manifest-files.js'

export async function lint(
  ctx: CliContext,
  options: { filename: string[]; output: OutputFormat },
): Promise<void> {
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
  await printResult(ctx, options.output, { valid: ok, objects, problems }, () =>
    ok
      ? objects.map((o) => `OK ${o.kind.toLowerCase()}/${o.name} (${o.file})\n`).join('')
      : problems.map((p) => formatProblem(p) + '\n').join('') +
        `${problems.length} problem${problems.length === 1 ? '' : 's'}\n`,
  )
}
