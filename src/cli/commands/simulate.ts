/**
 * `kanari simulate -f rollout.yaml`: the real engine and judges against synthetic traffic in virtual
 * time — what a release would do if the new version behaved like this.
 */
import { InvalidArgumentError, type Command } from 'commander'
import { InputError } from '../../errors.js'
import type { SimulateOptions } from '../actions/simulate.js'
import type { CliContext } from '../context.js'
import { filenameOption, outputOption } from '../options.js'

function num(name: string, min: number, max = Number.POSITIVE_INFINITY) {
  return (v: string): number => {
    const n = Number(v)
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InputError(
        `--${name} must be a number from ${min}${max === Number.POSITIVE_INFINITY ? '' : ` to ${max}`} (got "${v}")`,
      )
    return n
  }
}

/** `NAME=STATUS`, collected into a map: the HTTP status that webhook answers in the simulation. */
function webhookAnswer(value: string, previous: Record<string, number>): Record<string, number> {
  const m = /^([^=]+)=(\d{3})$/.exec(value)
  const status = Number(m?.[2])
  if (m?.[1] === undefined || status < 100 || status > 599)
    throw new InvalidArgumentError(
      'Expected NAME=STATUS: a webhook name and the HTTP status it answers, e.g. --webhook approval=403.',
    )
  return { ...previous, [m[1]]: status }
}

export function registerSimulateCommand(program: Command, ctx: CliContext): void {
  filenameOption(
    program
      .command('simulate')
      .description(
        'run a rollout through the real engine and judges against synthetic traffic, in virtual time',
      ),
    'the Rollout (and any AnalysisTemplates it uses)',
  )
    .option('--rollout <name>', 'which Rollout, when the file has several')
    .option('--rps <n>', 'user requests per second', num('rps', 1, 1_000_000), 100)
    .option(
      '--stable-error-rate <percent>',
      'percent of requests the stable version fails',
      num('stable-error-rate', 0, 100),
      0.5,
    )
    .option(
      '--canary-error-rate <percent>',
      'percent of requests the canary fails (15 = 15%)',
      num('canary-error-rate', 0, 100),
      0.5,
    )
    .option('--stable-latency-ms <ms>', 'median latency of stable', num('stable-latency-ms', 0), 50)
    .option(
      '--canary-latency-ms <ms>',
      'median latency of the canary (default: same as stable)',
      num('canary-latency-ms', 0),
    )
    .option(
      '--fail-at-weight <percent>',
      'the canary behaves like stable until its weight reaches this, then as given',
      num('fail-at-weight', 0, 100),
    )
    .option(
      '--match-rate <percent>',
      'percent of user requests that match the canary header/cookie routes (A/B testing)',
      num('match-rate', 0, 100),
      10,
    )
    .option('--seed <n>', 'random seed; the same seed gives the same run', num('seed', 0), 1)
    .option(
      '--promote-after <seconds>',
      'an indefinite pause counts as promoted after this many virtual seconds',
      num('promote-after', 0),
      60,
    )
    .option(
      '--ready-seconds <seconds>',
      'virtual seconds a replica takes to become ready',
      num('ready-seconds', 0),
      2,
    )
    .option(
      '--scrape-interval <seconds>',
      'how often Prometheus scrapes, for metrics read from Prometheus counters (traffic)',
      num('scrape-interval', 1, 3600),
      15,
    )
    .option(
      '--max-seconds <seconds>',
      'stop after this much virtual time',
      num('max-seconds', 1),
      6 * 3600,
    )
    .option(
      '--webhook <name=status>',
      'the HTTP status a webhook answers (repeatable); none is called: by default each answers 200, rollback webhooks 403',
      webhookAnswer,
      {},
    )
    .addOption(outputOption())
    .action(async (options: SimulateOptions) => {
      await (await import('../actions/simulate.js')).simulate(ctx, options)
    })
}
