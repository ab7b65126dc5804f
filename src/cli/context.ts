/**
 * What every CLI command gets: where to print, the output format, and the exit-code plumbing.
 * Commands print through `ctx.io` so tests can run them in-process and capture output.
 */

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number }
  stderr: NodeJS.WritableStream
}

export interface CliContext {
  io: CliIo
  /** How the binary was invoked, for messages ("kanari" or "kubectl kanari"). */
  invokedAs: string
  /** Exit code the command wants; commands set it, main returns it. */
  exitCode: number
}

/** Prints a structured result in the chosen format; `table` uses the given renderer. */
export async function printResult(
  ctx: CliContext,
  format: OutputFormat,
  data: unknown,
  renderTable: () => string,
): Promise<void> {
  if (format === 'json') ctx.io.stdout.write(JSON.stringify(data, null, 2) + '\n')
  else if (format === 'yaml') {
    // Loaded only when asked for: most commands never print YAML.
    const { stringify } = await import('yaml')
    ctx.io.stdout.write(stringify(data))
  } else ctx.io.stdout.write(renderTable())
}
