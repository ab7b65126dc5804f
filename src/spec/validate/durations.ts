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
