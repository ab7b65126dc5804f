/**
 * `kubectl kanari …`: the commands against a cluster, with kubectl's conventions — `--kubeconfig`,
 * `--context`, `-n/--namespace`, `-A/--all-namespaces`. Run as `kanari`, the same words drive the
 * local daemon instead (commands/rollouts.ts); `lint` is the same in both.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { outputOption, positiveNumber, wholeNumber } from '../options.js'
import { kubeconfigOptions } from './kubernetes.js'
import { registerLintCommand } from './lint.js'

export interface KubectlOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  allNamespaces?: boolean
  output: 'table' | 'json' | 'yaml'
}

/** kubectl's connection flags plus `-o`. */
export function kubectlCommon(cmd: Command): Command {
  return kubeconfigOptions(cmd)
    .option('-n, --namespace <ns>', 'namespace (default: the context\'s, else "default")')
    .addOption(outputOption())
}

export function registerKubectlCommands(program: Command, ctx: CliContext): void {
  kubectlCommon(
    program
      .command('get')
      .description(
        'show a rollout: phase, step, weights, replicas of primary and canary, conditions, events',
      )
      .argument('<kindOrName>', '"rollout" then a name, or just the name; "rollouts" lists')
      .argument('[name]'),
  )
    .option('-A, --all-namespaces', 'with "rollouts": list every namespace')
    .option('-w, --watch', 'keep showing the rollout as it changes (Ctrl-C to stop)')
    .option(
      '--events <n>',
      'latest events to show',
      wholeNumber(0, 'a whole number, 0 for all'),
      10,
    )
    .action(
      async (
        kindOrName: string,
        name: string | undefined,
        options: KubectlOptions & { watch?: boolean; events: number },
      ) => {
        await (await import('../actions/kube-rollouts.js')).get(ctx, kindOrName, name, options)
      },
    )

  kubectlCommon(program.command('list').alias('ls').description('list rollouts'))
    .option('-A, --all-namespaces', 'every namespace')
    .action(async (options: KubectlOptions) => {
      await (await import('../actions/kube-rollouts.js')).list(ctx, options)
    })

  const command = (name: string, description: string) =>
    kubectlCommon(
      program.command(name).description(description).argument('<rollout>', 'rollout name'),
    ).option(
      '--wait <seconds>',
      'seconds to wait for the controller to take the command (0: do not wait)',
      positiveNumberOrZero,
      30,
    )
  command(
    'promote',
    'skip the current step (pause, analysis) — or with --full, every remaining step',
  )
    .option('--full', 'promote at once, skipping all remaining steps and analyses')
    .action(async (name: string, options: KubectlOptions & { wait: number; full?: boolean }) => {
      await (
        await import('../actions/kube-rollouts.js')
      ).command(ctx, name, options.full === true ? 'promote-full' : 'promote', options)
    })
  command('abort', 'roll back now: all traffic to stable, the canary scaled down')
    .option('--reason <text>', 'why (recorded in the rollback event)')
    .action(async (name: string, options: KubectlOptions & { wait: number; reason?: string }) => {
      await (await import('../actions/kube-rollouts.js')).command(ctx, name, 'abort', options)
    })
  for (const [type, description] of [
    [
      'retry',
      'restart a rolled-back revision from the first step, or re-run the failed analysis of a frozen one',
    ],
    ['pause', 'hold the rollout at its current step'],
    ['resume', 'continue a paused rollout'],
  ] as const) {
    command(type, description).action(
      async (name: string, options: KubectlOptions & { wait: number }) => {
        await (await import('../actions/kube-rollouts.js')).command(ctx, name, type, options)
      },
    )
  }

  kubectlCommon(
    program
      .command('undo')
      .description(
        "put an earlier revision's pod template back on the target Deployment (default: the one before the current)",
      )
      .argument('<rollout>'),
  )
    .option(
      '--to-revision <n>',
      'revision to go back to',
      wholeNumber(1, 'a revision number (1, 2, …)'),
    )
    .action(async (name: string, options: KubectlOptions & { toRevision?: number }) => {
      await (await import('../actions/kube-rollouts.js')).undo(ctx, name, options)
    })

  const set = program.command('set').description("change a rollout's target Deployment")
  kubectlCommon(
    set
      .command('image')
      .description(
        'set container images of the target Deployment: a new revision, rolled out by its steps',
      )
      .argument('<rollout>')
      .argument('<assignments...>', 'container=image (or *=image for every container)'),
  ).action(async (name: string, assignments: string[], options: KubectlOptions) => {
    await (await import('../actions/kube-rollouts.js')).setImage(ctx, name, assignments, options)
  })

  registerLintCommand(program, ctx)
}

function positiveNumberOrZero(value: string): number {
  return value.trim() === '0' ? 0 : positiveNumber('a number of seconds, 0 not to wait')(value)
}
