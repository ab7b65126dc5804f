/**
 * `kanari diagnose ROLLOUT`: a revision's evidence report, optionally explained by an advisor and
 * turned into a suggested patch on a new branch of a repository (never merged).
 */
import { Option, type Command } from 'commander'
import type { CliContext } from '../context.js'
import type { DiagnoseOptions } from '../actions/diagnose.js'
import { positiveNumber, wholeNumber, withCommon } from '../options.js'

export function registerDiagnoseCommand(program: Command, ctx: CliContext): void {
  const cmd = withCommon(
    program
      .command('diagnose')
      .description(
        "a revision's evidence report: verdicts, requests by method/path/status, log diff, change",
      )
      .argument('<rollout>', 'rollout name'),
  )
    .option(
      '--revision <n>',
      'revision to diagnose (default: the canary in flight, else the latest rolled back)',
      wholeNumber(1, 'a revision number (1, 2, …)'),
    )
    .option('--advisor', "ask the rollout's advisor (spec.analysis.advisor) to explain the report")
    .addOption(
      new Option('--advisor-url <url>', 'an OpenAI-compatible API instead (…/v1)').conflicts(
        'advisorModelFile',
      ),
    )
    .option('--advisor-model <name>', 'model name for --advisor-url')
    .option('--advisor-key-env <var>', 'environment variable holding the API key')
    .option('--advisor-model-file <file>', 'a GGUF model run in this process (node-llama-cpp)')
    .option(
      '--advisor-timeout <seconds>',
      'how long the advisor may take (default 60)',
      positiveNumber('a number of seconds above 0, e.g. --advisor-timeout 90'),
    )
    .option(
      '--suggest-patch',
      'ask the advisor for a fix to the files the evidence points to, and put it on a new branch',
    )
    .option('--repo <dir>', 'the git repository for --suggest-patch (default: .)')
  cmd.action(async (name: string, options: DiagnoseOptions) => {
    if (options.advisorUrl !== undefined && options.advisorModel === undefined)
      cmd.error('error: --advisor-url needs --advisor-model (the model name the endpoint serves)', {
        exitCode: 2,
      })
    if (options.advisorModel !== undefined && options.advisorUrl === undefined)
      cmd.error('error: --advisor-model goes with --advisor-url', { exitCode: 2 })
    if (options.repo !== undefined && options.suggestPatch !== true)
      cmd.error('error: --repo goes with --suggest-patch', { exitCode: 2 })
    await (await import('../actions/diagnose.js')).diagnose(ctx, name, options)
  })
}
