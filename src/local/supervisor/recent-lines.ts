/**
 * The last lines a replica wrote, kept in memory for problem reports ("last output: …"): the log
 * file may be on a full disk, or started over, when they are wanted.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'

/** Lines kept per replica, and the longest line kept whole. */
export const RECENT_LINES = 20
const MAX_LINE_CHARS = 500
/** How much of a log's end is read for its last lines. */
const TAIL_BYTES = 64 * 1024

export class RecentLines {
  readonly #lines: string[] = []
  #partial = ''
  // A chunk may end inside a multi-byte character: the decoder keeps its first bytes for the next.
  readonly #decoder = new StringDecoder('utf8')

  add(chunk: Buffer): void {
    const lines = (this.#partial + this.#decoder.write(chunk)).split('\n')
    this.#partial = (lines.pop() ?? '').slice(-MAX_LINE_CHARS)
    for (const line of lines)
      if (line.trim() !== '') this.#lines.push(line.slice(0, MAX_LINE_CHARS))
    this.#lines.splice(0, Math.max(0, this.#lines.length - RECENT_LINES))
  }

  /** The last `n` lines, oldest first, with a line not ended yet as the last. */
  last(n = RECENT_LINES): string[] {
    const lines = this.#partial.trim() === '' ? this.#lines : [...this.#lines, this.#partial]
    return lines.slice(-n)
  }
}

/**
 * The last `n` non-empty lines of a log file, read from its end (at most 64 KiB) and from no earlier
 * than `fromOffset` (where the current replica began; a log started over since is read whole).
 */
export function tailOfFile(path: string, n: number, fromOffset = 0): string[] {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return []
  }
  try {
    const size = fstatSync(fd).size
    const from = fromOffset > size ? 0 : fromOffset
    const start = Math.max(from, size - TAIL_BYTES)
    if (size <= start) return []
    const buffer = Buffer.alloc(size - start)
    const got = readSync(fd, buffer, 0, buffer.length, start)
    const lines = buffer.subarray(0, got).toString('utf8').split('\n')
    // Read from the middle of the file: the first line may be cut.
    if (start > from) lines.shift()
    return lines
      .filter((l) => l.trim() !== '')
      .map((l) => l.slice(0, MAX_LINE_CHARS))
      .slice(-n)
  } catch {
    return []
  } finally {
    closeSync(fd)
  }
}
