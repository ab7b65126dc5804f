/**
 * What every CLI command gets: where to print, the output format, and the exit-code plumbing.
 * Commands print through `ctx.out` so tests can run them in-process and capture output.
 */
import { stringify as toYaml } from 'yaml'

export type OutputFormat = 'table' | 'json' | 'yaml'

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  stderr: NodeJS.WritableStream
}

export interface CliContext {
  io: CliIo
  /** How the binary was invoked, for messages ("kanari" or "kubectl kanari"). */
  invokedAs: string
  /** Exit code the command wants; commands set it, main returns it. */
  exitCode: number
}

export function parseOutputFormat(value: string): OutputFormat {
  if (value === 'table' || value === 'json' || value === 'yaml') return value
  throw new Error(`--output must be one of table, json, yaml (got "${value}")`)
}

/** Prints a structured result in the chosen format; `table` uses the given renderer. */
export function printResult(
  ctx: CliContext,
  format: OutputFormat,
  data: unknown,
  renderTable: () => string,
): void {
  if (format === 'json') ctx.io.stdout.write(JSON.stringify(data, null, 2) + '\n')
  else if (format === 'yaml') ctx.io.stdout.write(toYaml(data))
  else ctx.io.stdout.write(renderTable())
}
