/**
 * Per-replica log files under `<stateDir>/logs/<key>/<index>.log`: where they live, the size cap,
 * and reading their tails back — also after the replica set is gone, so the output of replicas that
 * failed and were scaled down can still be read.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'

/** A log starts over once it passes this size, so a chatty replica cannot fill the disk by itself. */
export const LOG_CAP_BYTES = 4 * 1024 * 1024

function logDir(stateDir: string, key: string): string {
  return join(stateDir, 'logs', key.replace(/[^a-zA-Z0-9@._-]/g, '_'))
}

/** The log file of one replica; creates its directory, since the replica's output is appended to it. */
export function replicaLogPath(stateDir: string, key: string, index: number): string {
  const dir = logDir(stateDir, key)
  try {
    mkdirSync(dir, { recursive: true })
  } catch {
    // a read-only or full disk: the output is dropped and counted when it cannot be written
  }
  return join(dir, `${index}.log`)
}

/** The log files a replica set left behind, by replica index (for a set that no longer runs). */
export function leftLogs(stateDir: string, key: string): { index: number; logPath: string }[] {
  const dir = logDir(stateDir, key)
  try {
    return readdirSync(dir).flatMap((name) => {
      const m = /^(\d+)\.log$/.exec(name)
      return m === null ? [] : [{ index: Number(m[1]), logPath: join(dir, name) }]
    })
  } catch {
    return []
  }
}

/** Starts a log over once it passes the cap (for replicas that write their log themselves). */
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
