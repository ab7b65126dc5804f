/**
 * `kanari import -f FILE…`: Argo Rollouts and Flagger manifests converted into Kanari's; every
 * other object of the input, and every field that could not be carried over, is listed with its
 * file and line.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { filenameOption, outputOption } from '../options.js'

export interface ImportOptions {
  filename: string[]
  output: 'yaml' | 'json'
  strict?: boolean
}

export function registerImportCommand(program: Command, ctx: CliContext): void {
  filenameOption(
    program
      .command('import')
      .description(
        'convert Argo Rollouts (Rollout, AnalysisTemplate, ClusterAnalysisTemplate) and Flagger (Canary, MetricTemplate, AlertProvider) manifests into Kanari manifests; lists every other object it left alone (a Service, an Ingress…) and every field not carried over',
      ),
    'the manifests to convert',
  )
    .addOption(outputOption(['yaml', 'json']).default('yaml'))
    .option(
      '--strict',
      'refuse input holding any other object (converting nothing), and exit 1 when a field could not be carried over or the result does not pass kanari lint',
    )
    .action(async (options: ImportOptions) => {
      await (await import('../actions/import.js')).importCommand(ctx, options)
    })
}
