/** Duration fields ("30s", "5m", seconds): a bad one is a problem at its path, never a throw. */
import { parseDuration } from '../duration.js'
import type { DocumentProblems, Path } from './document-problems.js'

export function checkDuration(
  p: DocumentProblems,
  path: Path,
  value: number | string | undefined,
): void {
  if (value === undefined) return
  const parsed = parseDuration(value)
  if (typeof parsed !== 'number') p.add(path, parsed.error)
}

/**
 * An interval between measurements: a duration above 0. Analyses count their measurements as
 * duration / interval, so 0 made a step analyse forever (or NaN times).
 */
export function checkInterval(
  p: DocumentProblems,
  path: Path,
  value: number | string | undefined,
): void {
  if (value === undefined) return
  const parsed = parseDuration(value)
  if (typeof parsed !== 'number') p.add(path, parsed.error)
  else if (parsed === 0) p.add(path, 'must be more than 0 seconds (the time between measurements)')
}
