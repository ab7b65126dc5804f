/**
 * Fitting text into a width: wrapping at spaces, or at the "; " between the clauses of a verdict so
 * each clause (with its p-value) stays whole, and shortening one line without losing its tail.
 */

const NBSP = '\u00a0'

/** Breaks `text` at spaces into lines of at most `width`; a word longer than that is split. */
export function wrapWords(text: string, width: number): string[] {
  const w = Math.max(1, width)
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    let rest = word
    while (rest.length > w) {
      if (line !== '') lines.push(line)
      lines.push(rest.slice(0, w))
      rest = rest.slice(w)
      line = ''
    }
    if (line === '') line = rest
    else if (line.length + 1 + rest.length <= w) line += ` ${rest}`
    else {
      lines.push(line)
      line = rest
    }
  }
  lines.push(line)
  return lines
}

/**
 * Breaks a verdict such as `canary error rate 1% (7/690) vs stable 0.6% (13/2210); p = 1; latency
 * p99 …; p = 1` between its clauses, packing whole clauses into lines of at most `width`; a clause
 * longer than a line is wrapped at spaces.
 */
export function wrapClauses(text: string, width: number): string[] {
  // A metric's verdict is "<what was measured>; p = 0.3": its p-value stays with it.
  const clauses: string[] = []
  for (const part of text.split('; ')) {
    const last = clauses.length - 1
    if (last >= 0 && /^p [<=>]/.test(part)) clauses[last] = `${clauses[last] ?? ''}; ${part}`
    else clauses.push(part)
  }
  // Each clause but the last keeps its "; " (as ";", the space becomes the line break or stays).
  for (let i = 0; i < clauses.length - 1; i++) clauses[i] = `${clauses[i] ?? ''};`
  const lines: string[] = []
  let line = ''
  for (const clause of clauses) {
    if (line !== '' && line.length + 1 + clause.length <= width) line += ` ${clause}`
    else {
      if (line !== '') lines.push(line)
      if (clause.length <= width) line = clause
      else {
        // Too long for a line: wrap at spaces, but not inside "…; p < 0.001" (non-breaking).
        const glued = clause.replace(/; p [<=>]+ \S+/g, (m) => m.replaceAll(' ', NBSP))
        const wrapped = wrapWords(glued, width).map((l) => l.replaceAll(NBSP, ' '))
        lines.push(...wrapped.slice(0, -1))
        line = wrapped.at(-1) ?? ''
      }
    }
  }
  lines.push(line)
  return lines
}

/**
 * `text` in at most `width` characters: as is if it fits, else its start and its end around "…" —
 * the end of a verdict (its p-value, its threshold) says the most, so it is the part kept whole.
 */
export function fitLine(text: string, width: number): string {
  if (text.length <= width) return text
  if (width <= 1) return text.slice(0, Math.max(0, width))
  const tail = Math.min(Math.floor((width - 1) / 2), 40)
  return `${text.slice(0, width - 1 - tail).trimEnd()}…${text.slice(text.length - tail)}`
}

/** `text` cut to `width` characters, ending in "…" when it was longer. */
export function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`
}

/**
 * A line in at most `width` columns, broken at spaces: the lines after the first keep the first's
 * leading spaces plus two more, so a wrapped sentence still reads as one item.
 */
export function wrapHanging(line: string, width: number): string[] {
  const lead = line.length - line.trimStart().length
  const indent = ' '.repeat(lead)
  if (line.length <= width || width - lead < 20) return [line]
  const words = line.trimStart()
  const [first = ''] = wrapWords(words, width - lead)
  const rest = words.slice(first.length).trimStart()
  return [
    indent + first,
    ...(rest === '' ? [] : wrapWords(rest, width - lead - 2).map((l) => `${indent}  ${l}`)),
  ]
}
