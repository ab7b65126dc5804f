/**
 * The CLI's side of the daemon API: finds the daemon through `<stateDir>/api.json`, calls it, and
 * turns error bodies back into Kanari errors with the same codes, so the CLI prints and exits alike
 * for local and remote failures.
 */
import { request as httpRequest } from 'node:http'
import { DaemonUnavailableError, KanariError, type KanariErrorOptions } from '../../errors.js'
import { isRunning, readApiInfo, type ApiInfo } from './paths.js'

const REQUEST_TIMEOUT_MS = 30_000

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

/**
 * One HTTP exchange with the daemon over node:http, on a connection of its own: `fetch` would load
 * undici (a tenth of a second, more than the rest of a command) and keep the process alive for its
 * idle connection.
 */
function send(
  url: string,
  method: string,
  token: string,
  body: unknown,
): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          ...(payload === undefined ? {} : { 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () =>
      req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000}s`)),
    )
    req.on('error', reject)
    req.end(payload)
  })
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
    let res: { status: number; text: string }
    try {
      res = await send(`${this.info.url}${path}`, method, this.info.token, body)
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
    const { text } = res
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
    if (res.status < 200 || res.status > 299) {
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
