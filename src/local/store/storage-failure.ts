/**
 * Telling a failed write that is about the disk (full, read-only, failing) from any other error, and
 * saying it to people: what happened, to which file, and what to do.
 */
import { DependencyError } from '../../errors.js'

/** What went wrong with the disk, e.g. `{ code: 'SQLITE_FULL', what: 'disk full' }`. */
export interface StorageFailure {
  code: string
  what: string
}

const SQLITE_KINDS: [prefix: string, what: string][] = [
  ['SQLITE_FULL', 'disk full'],
  ['SQLITE_READONLY', 'read-only'],
  ['SQLITE_IOERR', 'disk I/O error (a full disk, often)'],
  ['SQLITE_CANTOPEN', 'cannot open the database file'],
]

const ERRNO_KINDS: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'disk I/O error',
}

export function storageFailure(err: unknown): StorageFailure | undefined {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return undefined
  for (const [prefix, what] of SQLITE_KINDS) if (code.startsWith(prefix)) return { code, what }
  const what = ERRNO_KINDS[code]
  return what === undefined ? undefined : { code, what }
}

/** The error a refused or failed state write becomes: the API answers 502, the CLI exits 6. */
export function stateNotWritable(problem: string, cause?: unknown): DependencyError {
  return new DependencyError(`cannot save Kanari's state: ${problem}`, {
    hint: 'free space on that disk (or make it writable); Kanari retries every tick',
    ...(cause === undefined ? {} : { cause }),
  })
}
