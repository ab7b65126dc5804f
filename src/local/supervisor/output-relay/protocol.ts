/**
 * How the supervisor and a state directory's output relay talk: where the relay's socket is, how
 * its process is started and recognised, the one line it prints when it starts, and what it answers
 * (HTTP on the Unix socket, mode 0600).
 */
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Bumped when the answers change shape: a relay speaking another version is replaced. */
export const RELAY_PROTOCOL = 1
/** Unix socket paths longer than this do not fit in sockaddr_un. */
const MAX_SOCKET_PATH = 100

/** The relay's socket: in the state directory, or hashed into the temp directory when too long. */
export function relaySocketPath(stateDir: string): string {
  const path = join(stateDir, 'relay.sock')
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return path
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 16)
  return join(tmpdir(), `kanari-relay-${hash}.sock`)
}

/** Where the relay's own lines go (not a replica's). */
export function relayLogPath(stateDir: string): string {
  return join(stateDir, 'logs', 'relay.log')
}

/** The relay's arguments after its entry point: the state directory, so `ps` and /proc show it. */
export function relayArgs(stateDir: string): string[] {
  return ['--state-dir', stateDir]
}

/** Whether a command line is the relay of `stateDir` (for cleanups that find it through /proc). */
export function isRelayCommandLine(argv: string[], stateDir: string): boolean {
  const at = argv.indexOf('--state-dir')
  return (
    at >= 0 &&
    argv[at + 1] === stateDir &&
    argv.some((a) => /[\\/]output-relay[\\/]main\.[jt]s$/.test(a))
  )
}

/** What the relay knows of one replica log. */
export interface RelayLogStatus {
  /** Bytes the disk refused since this relay began draining the log's FIFO. */
  droppedBytes: number
  /** Why writes fail (`ENOSPC`…), while they do. */
  dropReason?: string
  /** The last lines written into the FIFO, oldest first. */
  recentLines: string[]
  /** Bytes read from the FIFO (written or dropped). */
  relayedBytes: number
}

export interface RelayStatus {
  protocol: number
  pid: number
  startedAt: number
  /** By log file path. */
  logs: Record<string, RelayLogStatus>
}

/** The answer to a scan: the FIFOs it drains now. */
export interface RelayScan {
  fifos: string[]
}

/** The one line the relay prints on stdout at start: it relays, another one already does, or it cannot. */
export type RelayHello =
  | { relaying: true; pid: number }
  | { relaying: false; pid: number; reason: 'another relay answers' }
  | { relaying: false; reason: string }

export const RELAY = {
  /** GET: the status of every log it drains. */
  status: '/status',
  /** POST: look for new or removed FIFOs now (a replica is starting or is gone). */
  scan: '/scan',
  /** POST: copy what is waiting, then exit. */
  close: '/close',
} as const

/** One call to the relay; rejects when it does not answer (no socket, refused, timed out, not 2xx). */
export function callRelay<T>(
  socketPath: string,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = request({ socketPath, path, method, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        if ((res.statusCode ?? 0) >= 300) {
          reject(new Error(`${method} ${path} answered ${res.statusCode ?? '?'}: ${raw}`))
          return
        }
        try {
          resolve(JSON.parse(raw) as T)
        } catch {
          reject(new Error(`${method} ${path}: not JSON`))
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}
