/**
 * `kanari gate open|close|list`: manual gates on the local daemon, which webhooks ask (a `gate:`
 * webhook in the spec, or a URL to the daemon's `…/gates/NAME/check`).
 */
import { InvalidArgumentError, type Command } from 'commander'
import { GATE_NAME_MAX_LENGTH, GATE_NAME_PATTERN } from '../../engine/vocabulary.js'
import type { CliContext } from '../context.js'
import { withCommon, type CommonOptions } from '../options.js'

const NAME = new RegExp(GATE_NAME_PATTERN)

function gateName(value: string): string {
  if (value.length > GATE_NAME_MAX_LENGTH || !NAME.test(value))
    throw new InvalidArgumentError(
      `Expected a gate name: lower-case letters, digits, dashes and dots, starting and ending with a letter or digit, at most ${GATE_NAME_MAX_LENGTH} characters (e.g. release-ok).`,
    )
  return value
}

export function registerGateCommand(program: Command, ctx: CliContext): void {
  const gate = program
    .command('gate')
    .description('manual gates webhooks wait on: open one to let a release go on')
  for (const [verb, description] of [
    ['open', 'open a gate: webhooks asking it pass from their next call'],
    ['close', 'close a gate: webhooks asking it wait (a gate never opened is closed)'],
  ] as const) {
    withCommon(
      gate.command(verb).description(description).argument('<name>', 'gate name', gateName),
    ).action(async (name: string, options: CommonOptions) => {
      await (await import('../actions/gate.js')).setGate(ctx, name, verb, options)
    })
  }
  withCommon(
    gate
      .command('list')
      .alias('ls')
      .description('gates, open or closed, and the webhooks that ask them'),
  ).action(async (options: CommonOptions) => {
    await (await import('../actions/gate.js')).listGates(ctx, options)
  })
}
