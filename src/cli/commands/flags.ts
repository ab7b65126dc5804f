/**
 * `kanari flags …`: feature flags served by the local daemon — list, get, set, enable, disable,
 * eval, delete, watch / unwatch flag files, the audit log — and `lint`, which needs no daemon.
 * Registering loads nothing else: each action imports what it needs when it runs.
 */
import { InvalidArgumentError, Option, type Command } from 'commander'
import type { CliContext } from '../context.js'
import type { FlagOptions } from '../actions/flags.js'
import { filenameOption, outputOption, wholeNumber, withCommon } from '../options.js'

/** `--context '{…}'`: a JSON object; anything else is a usage error. */
function jsonObject(what: string): (value: string) => Record<string, unknown> {
  return (value) => {
    let parsed: unknown
    try {
      parsed = JSON.parse(value)
    } catch {
      throw new InvalidArgumentError(`Expected ${what} as JSON, e.g. '{"targetingKey": "user-1"}'.`)
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new InvalidArgumentError(
        `Expected ${what} as a JSON object, e.g. '{"targetingKey": "user-1"}'.`,
      )
    return parsed as Record<string, unknown>
  }
}

export function registerFlagCommands(program: Command, ctx: CliContext): void {
  const flags = program
    .command('flags')
    .description('feature flags in flagd format, served by the local daemon over OFREP')
  // Commander passes the arguments, the options and the command; each action takes ctx first.
  const action =
    (name: keyof typeof import('../actions/flags.js')) =>
    async (...args: unknown[]) => {
      const mod = await import('../actions/flags.js')
      const fn = mod[name] as unknown as (ctx: CliContext, ...args: unknown[]) => Promise<void>
      await fn(ctx, ...args)
    }

  withCommon(
    flags.command('list').alias('ls').description('every flag served, and the watched flag files'),
  ).action(action('listFlags'))

  withCommon(
    flags
      .command('get')
      .description('one flag: its definition, where it comes from, its recent changes')
      .argument('<key>'),
  ).action(action('getFlag'))

  withCommon(
    flags
      .command('set')
      .description("set a flag's definition (it wins over flag files), or just its default variant")
      .argument('<key>')
      .option(
        '-f, --filename <file>',
        'the flag in flagd JSON (the flag alone, or a document holding <key>)',
      )
      .option('--json <flag>', 'the flag in flagd JSON, inline')
      .option(
        '--default-variant <variant>',
        'change only the default variant of the flag as served',
      ),
  ).action(action('setFlag'))

  for (const [name, description] of [
    ['enable', 'serve the flag again'],
    ['disable', 'stop serving the flag: callers get their code default (a kill switch)'],
  ] as const)
    withCommon(flags.command(name).description(description).argument('<key>')).action(
      action(name === 'enable' ? 'enableFlag' : 'disableFlag'),
    )

  withCommon(
    flags
      .command('delete')
      .description(
        'remove a flag set through the API (a flag file that defines it serves it again)',
      )
      .argument('<key>'),
  ).action(action('deleteFlag'))

  withCommon(
    flags
      .command('eval')
      .description('evaluate a flag for a context: value, variant, reason')
      .argument('<key>')
      .option('--context <json>', 'the evaluation context', jsonObject('the context'), {})
      .addOption(
        new Option(
          '--type <type>',
          'the type your code asks for (TYPE_MISMATCH when it differs)',
        ).choices(['boolean', 'string', 'number', 'integer', 'object']),
      ),
  ).action(action('evalFlag'))

  withCommon(
    filenameOption(
      flags.command('watch').description('serve the flags of a file, reloaded whenever it changes'),
      'flag files (flagd JSON or YAML)',
    ),
  ).action(action('watchFiles'))

  withCommon(
    filenameOption(
      flags.command('unwatch').description('stop serving the flags of a file'),
      'flag files',
    ),
  ).action(action('unwatchFiles'))

  withCommon(
    flags
      .command('audit')
      .description('who changed which flag when, with before and after')
      .argument('[key]')
      .option(
        '--limit <n>',
        'newest entries to show',
        wholeNumber(1, 'a whole number of entries, e.g. --limit 20'),
        20,
      ),
  ).action(action('auditFlags'))

  filenameOption(
    flags
      .command('lint')
      .description('check flag files: every problem with file:line and path (no daemon needed)'),
    'flag files (flagd JSON or YAML)',
  )
    .addOption(outputOption())
    .action(action('lintFlags'))
}

export type { FlagOptions }
