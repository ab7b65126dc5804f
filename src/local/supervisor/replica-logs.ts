/**
 * Per-replica log files under `<stateDir>/logs/<key>/<index>.log`: where they live, the size cap
 * applied at each (re)start, and reading their tails back.
 */
import { mkdirSync, readFileSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'

const LOG_CAP_BYTES = 4 * 1024 * 1024

/** The log file of one replica; creates its directory, since the replica's output is appended to it. */
export function replicaLogPath(stateDir: string, key: string, index: number): string {
  const logDir = join(stateDir, 'logs', key.replace(/[^a-zA-Z0-9@._-]/g, '_'))
  mkdirSync(logDir, { recursive: true })
  return join(logDir, `${index}.log`)
}

/** Starts a log over once it passes the cap, so a chatty or crash-looping replica cannot fill the disk. */
export function capLog(path: string): void {
  try {
    if (statSync(path).size > LOG_CAP_BYTES) truncateSync(path, 0)
  } catch {
    // no file yet
  }
}

/** The last `lines` lines over the given replicas' logs, each prefixed with the replica index. */
export function tailLogs(
  replicas: Iterable<{ index: number; logPath: string }>,
  options: { lines?: number; replica?: number },
): string[] {
  const want = options.lines ?? 100
  const out: string[] = []
  for (const r of [...replicas].sort((a, b) => a.index - b.index)) {
    if (options.replica !== undefined && r.index !== options.replica) continue
    try {
      const lines = readFileSync(r.logPath, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
      out.push(...lines.slice(-want).map((l) => `[${r.index}] ${l}`))
    } catch {
      // no log yet
    }
  }
  return out.slice(-want)
}
