/**
 * Options several commands share (`--state-dir`, `--output`) and the parsers of numeric flags. A
 * value a flag cannot take is a usage error (exit 2) that names the flag and what it accepts.
 */
import { InvalidArgumentError, Option, type Command } from 'commander'
import { parseDuration } from '../spec/duration.js'
import { OUTPUT_FORMATS, type OutputFormat } from './context.js'

export interface CommonOptions {
  stateDir?: string
  output: OutputFormat
}

/** `-o, --output <format>`: one of `formats`, `table` by default. */
export function outputOption(formats: readonly string[] = OUTPUT_FORMATS): Option {
  return new Option('-o, --output <format>', `output format: ${formats.join(', ')}`)
    .choices(formats)
    .default('table')
}

export function stateDirOption(): Option {
  return new Option(
    '--state-dir <dir>',
    'state directory of the local daemon (default: .kanari in the working directory, or $KANARI_STATE_DIR)',
  )
}

/** Adds `--state-dir` and `--output`, which every daemon-facing command takes. */
export function withCommon(cmd: Command): Command {
  return cmd.addOption(stateDirOption()).addOption(outputOption())
}

/** Adds the required `-f, --filename <file...>` option (read by `readManifestFiles`). */
export function filenameOption(cmd: Command, what: string): Command {
  return cmd.requiredOption(
    '-f, --filename <file...>',
    `${what}: files, directories or - for stdin; several after one -f, or -f repeated`,
  )
}

/** A whole number of at least `min`; `what` completes "Expected …" for anything else. */
export function wholeNumber(min: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`Expected ${what}.`)
    return n
  }
}

/** A number greater than zero, such as an interval in seconds. */
export function positiveNumber(what: string): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`Expected ${what}.`)
    return n
  }
}

/** A duration (`30s`, `5m`, `1h`, or seconds) above 0 and at most `maxSeconds`. */
export function durationSeconds(maxSeconds: number, what: string): (value: string) => number {
  return (value) => {
    const parsed = parseDuration(value)
    if (typeof parsed !== 'number' || parsed <= 0 || parsed > maxSeconds)
      throw new InvalidArgumentError(`Expected ${what}.`)
    return parsed
  }
}

/** A number above 0 and at most `max`. */
export function boundedNumber(max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max)
      throw new InvalidArgumentError(`Expected ${what}.`)
    return n
  }
}
