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

/**
 * The time index beside a log (`<index>.idx`): lines of "<byte offset> <epoch ms>", one per second
 * in which output arrived, saying where that second's bytes begin. Written by the output copier;
 * started over with its log.
 */
export function indexPathOf(logPath: string): string {
  return logPath.replace(/\.log$/, '') + '.idx'
}

/** One replica's lines around a time window. */
export interface LogWindow {
  index: number
  /** Lines written before the window (the latest, up to the byte budget). */
  before: string[]
  /** Lines written in the window, oldest first (the latest, up to the byte budget). */
  window: string[]
  /** False when the log has no usable time index: `window` is then the whole log's tail. */
  windowed: boolean
}

function readIndex(logPath: string, size: number): { offset: number; at: number }[] | undefined {
  let text: string
  try {
    text = readFileSync(indexPathOf(logPath), 'utf8')
  } catch {
    return undefined
  }
  const entries = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [offset, at] = l.split(' ').map(Number)
      return { offset: offset ?? NaN, at: at ?? NaN }
    })
  // An index that does not fit its log (written by an older copy, or cut) is not trusted.
  const sound =
    entries.length > 0 &&
    entries.every(
      (e, i) =>
        Number.isFinite(e.offset) &&
        Number.isFinite(e.at) &&
        e.offset <= size &&
        (i === 0 || e.offset >= (entries[i - 1]?.offset ?? 0)),
    )
  return sound ? entries : undefined
}

/** Whole lines of `buf` from `from` to `to` (bytes), the first partial line dropped, up to `budget` bytes from the end. */
function linesOf(buf: Buffer, from: number, to: number, budget: number): string[] {
  let start = Math.max(from, to - budget)
  if (start > 0 && buf[start - 1] !== 0x0a) {
    const nl = buf.indexOf(0x0a, start)
    start = nl < 0 || nl >= to ? to : nl + 1
  }
  return buf
    .subarray(start, to)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
}

/**
 * The lines of each replica's log written in [fromMs, toMs), by the time index (to the second), and
 * those written before; at most `maxBytes` of each part per replica, the latest kept.
 */
export function logWindows(
  replicas: Iterable<{ index: number; logPath: string }>,
  fromMs: number,
  toMs: number,
  maxBytes: number,
): LogWindow[] {
  const out: LogWindow[] = []
  for (const r of [...replicas].sort((a, b) => a.index - b.index)) {
    let buf: Buffer
    try {
      buf = readFileSync(r.logPath)
    } catch {
      continue
    }
    const entries = readIndex(r.logPath, buf.length)
    if (entries === undefined) {
      out.push({
        index: r.index,
        before: [],
        window: linesOf(buf, 0, buf.length, maxBytes),
        windowed: false,
      })
      continue
    }
    const fromSecond = Math.floor(fromMs / 1000)
    const toSecond = Math.ceil(toMs / 1000)
    const start = entries.find((e) => Math.floor(e.at / 1000) >= fromSecond)?.offset ?? buf.length
    const end = entries.find((e) => Math.floor(e.at / 1000) >= toSecond)?.offset ?? buf.length
    // Bytes before the first entry were written before the index began (an older daemon): "before".
    out.push({
      index: r.index,
      before: linesOf(buf, 0, start, maxBytes),
      window: linesOf(buf, start, Math.max(start, end), maxBytes),
      windowed: true,
    })
  }
  return out
}
