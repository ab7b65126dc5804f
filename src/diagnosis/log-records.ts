/**
 * Log lines into records: a line that starts with white space or a stack-trace marker continues the
 * record before it (a stack trace is one record, not twenty), up to a bound.
 */

/** Lines of one record past which continuation lines are dropped (the frames that matter come first). */
export const MAX_RECORD_LINES = 12
/** Characters of one line kept; a longer line is cut. */
export const MAX_LINE_CHARS = 2000

/** A line that continues the previous record: indented, a stack frame, or a "Caused by". */
function continues(line: string): boolean {
  return (
    /^[ \t]+\S/.test(line) ||
    /^(at |Caused by:|\.\.\. \d+ more|Traceback \(most recent call last\))/.test(line)
  )
}

/** Groups raw lines (oldest first) into records; empty lines end a record and are dropped. */
export function toRecords(lines: Iterable<string>): string[][] {
  const records: string[][] = []
  let current: string[] | undefined
  for (const raw of lines) {
    const line = raw.length > MAX_LINE_CHARS ? raw.slice(0, MAX_LINE_CHARS) : raw
    if (line.trim() === '') {
      current = undefined
      continue
    }
    if (current !== undefined && continues(line)) {
      if (current.length < MAX_RECORD_LINES) current.push(line)
      continue
    }
    current = [line]
    records.push(current)
  }
  return records
}

/** A record as one text, its lines joined by newlines. */
export function recordText(record: string[]): string {
  return record.join('\n')
}
