/**
 * The `kanari` command line: builds the commander program from the command modules and maps errors
 * to exit codes. `main` returns the exit code instead of exiting, so tests can call it in-process.
 */
import { Command, CommanderError } from 'commander'
import { KanariError, formatError } from '../errors.js'
import { KANARI_VERSION } from '../version.js'
import type { CliContext, CliIo } from './context.js'
import { commands, kubectlCommands } from './commands/index.js'

export interface MainOptions {
  invokedAs?: string
  io?: CliIo
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command(ctx.invokedAs)
    .description('Progressive delivery: release to a few, measure, widen or roll back on its own.')
    .version(KANARI_VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)')
  const registry = ctx.invokedAs === 'kubectl kanari' ? kubectlCommands : commands
  for (const register of registry) register(program, ctx)
  return program
}

/**
 * Output piped into `head` (or any reader that stops early) makes the next write fail with EPIPE:
 * stop quietly with 0, as Unix tools do, instead of dying on an unhandled 'error' event.
 */
function exitQuietlyWhenClosed(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  if (options.io === undefined) {
    exitQuietlyWhenClosed(process.stdout)
    exitQuietlyWhenClosed(process.stderr)
  }
  const ctx: CliContext = {
    io: options.io ?? { stdout: process.stdout, stderr: process.stderr },
    invokedAs: options.invokedAs ?? 'kanari',
    exitCode: 0,
  }
  const program = buildProgram(ctx)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return ctx.exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? 0 : 2
    }
    const wantsJson = argv.some(
      (a, i) =>
        a === '--output=json' ||
        (a === '--output' && argv[i + 1] === 'json') ||
        (a === '-o' && argv[i + 1] === 'json'),
    )
    if (wantsJson) {
      const body =
        err instanceof KanariError
          ? err.toJSON()
          : { code: 'KANARI_INTERNAL', message: formatError(err) }
      ctx.io.stdout.write(JSON.stringify({ error: body }, null, 2) + '\n')
    }
    ctx.io.stderr.write(`error: ${formatError(err)}\n`)
    if (err instanceof KanariError) return err.exitCode
    return 70
  }
}
