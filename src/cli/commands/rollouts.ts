/**
 * The commands that work on rollouts through the local daemon: apply, get, list, promote, abort,
 * retry, undo, pause, resume, set env, logs, delete. Registering them loads nothing else: each action
 * imports what it needs when it runs.
 */
import type { Command } from 'commander'
import { EVENTS_PAGE } from '../../local/daemon/api/limits.js'
import type { CliContext } from '../context.js'
import type { UndoOptions } from '../actions/apply.js'
import type { GetOptions } from '../actions/get.js'
import type { LogsOptions } from '../actions/logs.js'
import {
  filenameOption,
  positiveNumber,
  wholeNumber,
  withCommon,
  type CommonOptions,
} from '../options.js'

export function registerRolloutCommands(program: Command, ctx: CliContext): void {
  filenameOption(
    withCommon(
      program
        .command('apply')
        .description(
          'create or update rollouts from YAML files; a changed workload starts a new revision',
        ),
    ),
    'Rollout (and AnalysisTemplate) manifests',
  ).action(async (options: CommonOptions & { filename: string[] }) => {
    await (await import('../actions/apply.js')).apply(ctx, options)
  })

  withCommon(
    program
      .command('get')
      .description('show a rollout: steps, weights, replicas per version, analysis, events')
      .argument('<kindOrName>', '"rollout" then a name, or just the name')
      .argument('[name]'),
  )
    .option('-w, --watch', 'keep showing the rollout as it changes (Ctrl-C to stop)')
    .option(
      '--interval <seconds>',
      'refresh interval with --watch',
      positiveNumber('a number of seconds above 0, e.g. --interval 2'),
      1,
    )
    .option(
      '--events <n>',
      `latest events to show; 0 for all the daemon returns (its latest ${EVENTS_PAGE})`,
      wholeNumber(0, 'a whole number of events, 0 for all'),
      10,
    )
    .action(async (kindOrName: string, name: string | undefined, options: GetOptions) => {
      await (await import('../actions/get.js')).get(ctx, kindOrName, name, options)
    })

  withCommon(program.command('list').alias('ls').description('list rollouts')).action(
    async (options: CommonOptions) => {
      await (await import('../actions/get.js')).list(ctx, options)
    },
  )

  const command = (name: string, description: string) =>
    withCommon(program.command(name).description(description).argument('<rollout>', 'rollout name'))
  command(
    'promote',
    'skip the current step (pause, analysis) — or with --full, every remaining step',
  )
    .option('--full', 'promote at once, skipping all remaining steps and analyses')
    .action(async (name: string, options: CommonOptions & { full?: boolean }) => {
      const verb = options.full === true ? 'fully promoted' : 'promoted'
      await (
        await import('../actions/rollout-commands.js')
      ).runCommand(ctx, name, 'promote', options, verb, { full: options.full === true })
    })
  for (const [type, description, verb] of [
    ['abort', 'roll back now: all traffic to stable, the canary scaled down', 'aborted'],
    [
      'retry',
      'restart a rolled-back revision from the first step, or re-run the failed analysis of a frozen one',
      'retried',
    ],
    ['pause', 'hold the rollout at its current step', 'paused'],
    ['resume', 'continue a paused rollout', 'resumed'],
  ] as const) {
    command(type, description).action(async (name: string, options: CommonOptions) => {
      await (
        await import('../actions/rollout-commands.js')
      ).runCommand(ctx, name, type, options, verb)
    })
  }

  command(
    'undo',
    'roll out an earlier revision again (default: the last one that was promoted and healthy)',
  )
    .option(
      '--to-revision <n>',
      'revision to go back to',
      wholeNumber(1, 'a revision number (1, 2, …)'),
    )
    .option('--force', 'release --to-revision even if it was rolled back')
    .action(async (name: string, options: CommonOptions & UndoOptions) => {
      await (await import('../actions/apply.js')).undo(ctx, name, options)
    })

  const set = program.command('set').description('change a rollout in place')
  withCommon(
    set
      .command('env')
      .description(
        'set environment variables of the workload: makes a new revision (like `kubectl set image`)',
      )
      .argument('<rollout>')
      .argument('<assignments...>', 'KEY=VALUE to set, KEY- to remove'),
  ).action(async (name: string, assignments: string[], options: CommonOptions) => {
    await (await import('../actions/apply.js')).setEnv(ctx, name, assignments, options)
  })

  command('logs', "recent log lines of a rollout's replicas (stable by default)")
    .option('--canary', 'show the canary revision instead of stable')
    .option(
      '--tail <n>',
      'lines to show',
      wholeNumber(1, 'a positive whole number of lines, e.g. --tail 20'),
      100,
    )
    .action(async (name: string, options: LogsOptions) => {
      await (await import('../actions/logs.js')).logs(ctx, name, options)
    })

  command('delete', 'delete a rollout and stop its replicas and proxy').action(
    async (name: string, options: CommonOptions) => {
      await (await import('../actions/rollout-commands.js')).deleteRollout(ctx, name, options)
    },
  )
}
