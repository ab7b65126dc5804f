/**
 * The CLI's side of the daemon API: finds the daemon through `<stateDir>/api.json`, calls it, and
 * turns error bodies back into Kanari errors with the same codes, so the CLI prints and exits alike
 * for local and remote failures.
 */
import { DaemonUnavailableError, KanariError, type KanariErrorOptions } from '../../errors.js'
import { isRunning, readApiInfo, type ApiInfo } from './paths.js'

const EXIT_CODES: Record<string, number> = {
  KANARI_INVALID_INPUT: 1,
  KANARI_INVALID_SPEC: 1,
  KANARI_NOT_FOUND: 3,
  KANARI_CONFLICT: 4,
  KANARI_DAEMON_UNAVAILABLE: 5,
  KANARI_DEPENDENCY_FAILED: 6,
  KANARI_UNAUTHORIZED: 77,
  KANARI_FORBIDDEN_HOST: 77,
}

/** An error the daemon reported, re-raised on the client with its code. */
export class RemoteError extends KanariError {
  readonly code: string
  readonly httpStatus: number
  readonly exitCode: number
  constructor(code: string, httpStatus: number, message: string, options: KanariErrorOptions) {
    super(message, options)
    this.code = code
    this.httpStatus = httpStatus
    this.exitCode = EXIT_CODES[code] ?? 70
  }
}

export class DaemonClient {
  constructor(
    readonly stateDir: string,
    readonly info: ApiInfo,
  ) {}

  /** Connects to the daemon of `stateDir`, or throws saying how to start one. */
  static connect(stateDir: string): DaemonClient {
    const info = readApiInfo(stateDir)
    if (info === undefined || !isRunning(info.pid)) {
      throw new DaemonUnavailableError(`no daemon running in ${stateDir}`, {
        hint: `start one with \`kanari up --state-dir ${stateDir}\``,
      })
    }
    return new DaemonClient(stateDir, info)
  }

  async get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path)
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body)
  }

  async put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body)
  }

  async delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path, {})
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetch(`${this.info.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.info.token}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      })
    } catch (err) {
      if (!isRunning(this.info.pid))
        throw new DaemonUnavailableError(
          `the daemon in ${this.stateDir} (pid ${this.info.pid}) stopped before it answered`,
          {
            hint: `see ${this.stateDir}/daemon.log; run the command again to start a new one`,
            cause: err,
          },
        )
      throw new DaemonUnavailableError(
        `the daemon in ${this.stateDir} (pid ${this.info.pid}) did not answer at ${this.info.url}`,
        {
          hint: `see ${this.stateDir}/daemon.log; restart it with \`kanari down\` then \`kanari up\``,
          cause: err,
        },
      )
    }
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = text === '' ? {} : JSON.parse(text)
    } catch {
      throw new RemoteError(
        'KANARI_INTERNAL',
        res.status,
        `the daemon answered ${res.status} with a body that is not JSON`,
        {},
      )
    }
    if (!res.ok) {
      const e =
        (
          parsed as {
            error?: { code?: string; message?: string; hint?: string; details?: unknown }
          }
        ).error ?? {}
      throw new RemoteError(
        e.code ?? 'KANARI_INTERNAL',
        res.status,
        e.message ?? `HTTP ${res.status}`,
        {
          ...(e.hint === undefined ? {} : { hint: e.hint }),
          ...(e.details === undefined ? {} : { details: e.details }),
        },
      )
    }
    return parsed as T
  }
}
