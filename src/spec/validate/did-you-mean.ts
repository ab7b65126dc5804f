/** Did-you-mean suggestions for misspelt names (fields, builtin metrics), by edit distance. */

/** The option nearest to `word`, when near enough to be a likely typo. */
export function closest(word: string, options: string[]): string | undefined {
  const near = Math.max(2, Math.floor(word.length / 3))
  let best: string | undefined
  let bestDistance = Infinity
  for (const o of options) {
    // The distance is at least the difference in length: skip the quadratic work for a long word.
    if (Math.abs(word.length - o.length) > near) continue
    const d = editDistance(word.toLowerCase(), o.toLowerCase())
    if (d < bestDistance) {
      bestDistance = d
      best = o
    }
  }
  return bestDistance <= near ? best : undefined
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0
      row[j] = Math.min(
        (row[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
      prev = tmp
    }
  }
  return row[b.length] ?? 0
}
