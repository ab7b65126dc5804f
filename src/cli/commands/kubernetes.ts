/**
 * The Kubernetes commands of `kanari`: `kanari controller` (runs the controller against the cluster
 * of the kubeconfig, or in a pod) and `kanari crds` (prints the CustomResourceDefinitions).
 */
import { Option, type Command } from 'commander'
import type { CliContext } from '../context.js'
import { outputOption, positiveNumber, wholeNumber } from '../options.js'

export interface ControllerCliOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  metricsAddress: string
  leaderElect: boolean
  leaderElectionNamespace?: string
  leaderElectionId: string
  leaseDuration: number
  renewDeadline: number
  retryPeriod: number
  tick: number
  resync: number
  workers: number
  output: 'table' | 'json'
}

/** `--kubeconfig` and `--context`, as kubectl takes them. */
export function kubeconfigOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
}

export function registerKubernetesCommands(program: Command, ctx: CliContext): void {
  kubeconfigOptions(
    program
      .command('controller')
      .description(
        'run the Kanari controller for Rollouts on a Kubernetes cluster (until SIGTERM)',
      ),
  )
    .option('-n, --namespace <ns>', 'watch only this namespace (default: all)')
    .option(
      '--metrics-address <host:port>',
      'where /healthz, /readyz and /metrics are served ("" for nowhere)',
      '127.0.0.1:8080',
    )
    .option(
      '--no-leader-elect',
      'do not campaign for the Lease: reconcile at once (one replica only)',
    )
    .option(
      '--leader-election-namespace <ns>',
      'namespace of the Lease (default: $POD_NAMESPACE, else kanari-system)',
    )
    .option('--leader-election-id <name>', 'name of the Lease', 'kanari-controller')
    .option(
      '--lease-duration <seconds>',
      'how long a standby waits after the leader stops renewing',
      positiveNumber('a number of seconds, e.g. 15'),
      15,
    )
    .option(
      '--renew-deadline <seconds>',
      'how long the leader tries to renew before it steps down (less than --lease-duration)',
      positiveNumber('a number of seconds, e.g. 10'),
      10,
    )
    .option(
      '--retry-period <seconds>',
      'how often the Lease is tried',
      positiveNumber('a number of seconds, e.g. 2'),
      2,
    )
    .option(
      '--tick <seconds>',
      'seconds between ticks of a rollout in progress',
      positiveNumber('a number of seconds above 0, e.g. 1'),
      1,
    )
    .option(
      '--resync <seconds>',
      'seconds between reconciles of a settled rollout',
      positiveNumber('a number of seconds above 0, e.g. 30'),
      30,
    )
    .option(
      '--workers <n>',
      'rollouts reconciled at once',
      wholeNumber(1, 'a whole number ≥ 1'),
      10,
    )
    .addOption(
      new Option('-o, --output <format>', 'log lines as text or JSON')
        .choices(['table', 'json'])
        .default('table'),
    )
    .action(async (options: ControllerCliOptions, cmd: Command) => {
      if (options.renewDeadline >= options.leaseDuration)
        cmd.error(
          `error: --renew-deadline (${options.renewDeadline}s) must be less than --lease-duration (${options.leaseDuration}s): a leader must step down before a standby may take the lease`,
          { exitCode: 2, code: 'kanari.usage' },
        )
      await (await import('../actions/kube-controller.js')).runController(ctx, options)
    })

  program
    .command('crds')
    .description(
      'print the CustomResourceDefinitions of kanari.dev (kubectl apply --server-side -f -)',
    )
    .addOption(outputOption(['yaml', 'json']).default('yaml'))
    .action(async (options: { output: 'yaml' | 'json' }) => {
      await (await import('../actions/kube-controller.js')).printCrds(ctx, options)
    })
}
