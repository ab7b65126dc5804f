/**
 * The shared error taxonomy: every error that reaches a user carries a stable machine code, what went
 * wrong, where, and what to do. The CLI maps them to exit codes and the REST API to HTTP statuses in one place.
 */

export interface KanariErrorOptions {
  /** What the user should do about it, printed after the message. */
  hint?: string
  cause?: unknown
  /** Extra structured detail for `--output json` and API bodies (e.g. the list of validation problems). */
  details?: unknown
}

export abstract class KanariError extends Error {
  abstract readonly code: string
  abstract readonly httpStatus: number
  abstract readonly exitCode: number
  readonly hint: string | undefined
  readonly details: unknown

  constructor(message: string, options: KanariErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.hint = options.hint
    this.details = options.details
  }

  toJSON(): { code: string; message: string; hint?: string; details?: unknown } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    }
  }
}

/** The user's input (a file, a flag, a request body) is wrong. Nothing was changed. */
export class InputError extends KanariError {
  readonly code: string = 'KANARI_INVALID_INPUT'
  readonly httpStatus = 400
  readonly exitCode = 1
}

/**
 * A command was called in a way it cannot run (an argument or flag value it cannot take): exit 2,
 * like the usage errors the command-line parser reports itself.
 */
export class UsageError extends KanariError {
  readonly code = 'KANARI_USAGE'
  readonly httpStatus = 400
  readonly exitCode = 2
}

/** A spec failed validation; `details` lists every problem with its path and line. */
export class ValidationError extends InputError {
  override readonly code = 'KANARI_INVALID_SPEC'
}

export class NotFoundError extends KanariError {
  readonly code = 'KANARI_NOT_FOUND'
  readonly httpStatus = 404
  readonly exitCode = 3
}

/** The request conflicts with the current state (e.g. promote when nothing is in progress). */
export class ConflictError extends KanariError {
  readonly code = 'KANARI_CONFLICT'
  readonly httpStatus = 409
  readonly exitCode = 4
}

/** An API call that changes state came without the daemon's bearer token (or with a wrong one). */
export class UnauthorizedError extends KanariError {
  readonly code = 'KANARI_UNAUTHORIZED'
  readonly httpStatus = 401
  readonly exitCode = 77
}

/** An API request addressed to a host name that is not loopback: refused against DNS rebinding. */
export class ForbiddenHostError extends KanariError {
  readonly code = 'KANARI_FORBIDDEN_HOST'
  readonly httpStatus = 403
  readonly exitCode = 77
}

/** The daemon is not running, not reachable, or another daemon owns the state directory. */
export class DaemonUnavailableError extends KanariError {
  readonly code = 'KANARI_DAEMON_UNAVAILABLE'
  readonly httpStatus = 503
  readonly exitCode = 5
}

/** A dependency (metric provider, webhook, child process) failed or timed out. */
export class DependencyError extends KanariError {
  readonly code = 'KANARI_DEPENDENCY_FAILED'
  readonly httpStatus = 502
  readonly exitCode = 6
}

/** A bug or an unexpected state: the message says what was expected. */
export class InternalError extends KanariError {
  readonly code = 'KANARI_INTERNAL'
  readonly httpStatus = 500
  readonly exitCode = 70
}

/** Formats any thrown value as the one-or-two-line text the CLI prints. */
export function formatError(err: unknown): string {
  if (err instanceof KanariError) {
    return err.hint === undefined ? err.message : `${err.message}\n  → ${err.hint}`
  }
  if (err instanceof Error) return err.message
  return String(err)
}
