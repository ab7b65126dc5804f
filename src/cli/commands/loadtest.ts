/**
 * `kanari loadtest URL`: a bounded load generator — a fixed rate, for a fixed time, never more than
 * `--concurrency` requests in flight — to this machine unless `--allow-remote`. It stops by itself
 * and prints answers by status and latency percentiles.
 */
import { InvalidArgumentError, type Command } from 'commander'
import { LOADTEST_DEFAULTS, LOADTEST_LIMITS, LOADTEST_METHODS } from '../../engine/vocabulary.js'
import type { LoadtestOptions } from '../actions/loadtest.js'
import type { CliContext } from '../context.js'
import { boundedNumber, durationSeconds, outputOption, wholeNumber } from '../options.js'

function header(value: string, previous: Record<string, string>): Record<string, string> {
  const colon = value.indexOf(':')
  const name = colon < 0 ? '' : value.slice(0, colon).trim()
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
    throw new InvalidArgumentError('Expected a header as "Name: value", e.g. -H "x-canary: true".')
  return { ...previous, [name.toLowerCase()]: value.slice(colon + 1).trim() }
}

function method(value: string): string {
  const m = value.toUpperCase()
  if (!(LOADTEST_METHODS as readonly string[]).includes(m))
    throw new InvalidArgumentError(`Expected one of ${LOADTEST_METHODS.join(', ')}.`)
  return m
}

export function registerLoadtestCommand(program: Command, ctx: CliContext): void {
  program
    .command('loadtest')
    .description(
      'send bounded load to a URL (this machine only, unless --allow-remote): a rate, for a time, then a summary',
    )
    .argument('<url>', 'where to send requests, e.g. http://127.0.0.1:8080/color')
    .option(
      '-r, --rate <n>',
      `requests per second (at most ${LOADTEST_LIMITS.maxRatePerSecond})`,
      boundedNumber(
        LOADTEST_LIMITS.maxRatePerSecond,
        `a number of requests per second above 0 and at most ${LOADTEST_LIMITS.maxRatePerSecond}, e.g. --rate 20`,
      ),
      LOADTEST_DEFAULTS.ratePerSecond,
    )
    .option(
      '-d, --duration <duration>',
      `how long to send (at most ${LOADTEST_LIMITS.maxDurationSeconds / 3600}h)`,
      durationSeconds(
        LOADTEST_LIMITS.maxDurationSeconds,
        `a duration above 0 and at most 1h, like 30s, 2m or 90`,
      ),
      30,
    )
    .option(
      '-c, --concurrency <n>',
      'most requests in flight at once; one more is skipped and counted',
      (value: string) => {
        const n = wholeNumber(
          1,
          `a whole number from 1 to ${LOADTEST_LIMITS.maxConcurrency}`,
        )(value)
        if (n > LOADTEST_LIMITS.maxConcurrency)
          throw new InvalidArgumentError(
            `Expected a whole number from 1 to ${LOADTEST_LIMITS.maxConcurrency}.`,
          )
        return n
      },
      LOADTEST_DEFAULTS.concurrency,
    )
    .option('-X, --method <method>', `HTTP method: ${LOADTEST_METHODS.join(', ')}`, method, 'GET')
    .option('-H, --header <header>', 'a request header "Name: value" (repeatable)', header, {})
    .option('--body <text>', 'request body')
    .option(
      '--timeout <duration>',
      'a request with no answer by then counts as a timeout',
      durationSeconds(300, 'a duration above 0 and at most 5m, like 2s or 500ms'),
      10,
    )
    .option('--allow-remote', 'allow a URL that is not on this machine')
    .option('-q, --quiet', 'no progress lines on stderr')
    .addOption(outputOption())
    .action(async (url: string, options: LoadtestOptions) => {
      await (await import('../actions/loadtest.js')).loadtest(ctx, url, options)
    })
}
