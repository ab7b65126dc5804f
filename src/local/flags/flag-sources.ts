/**
 * A watched flag file's state (its last good flags, what is wrong with the file on disk) and the
 * watching: directory events (editors save by renaming a new file over the old) plus a stat poll
 * as a backstop for missed events.
 */
import { existsSync, statSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { FlagDefinition, FlagMetadata } from '../../flags/index.js'
import { formatFlagProblem, type FlagFileProblem } from '../../manifests/flag-file.js'
import type { FlagFileRead } from './flag-file-read.js'

/** One flag of a file as served, with its canonical text (kept as the same object while unchanged). */
export interface SourceFlag {
  flag: FlagDefinition
  text: string
}

export interface SourceStatus {
  path: string
  /** Flags the file defines (its last good version). */
  flags: number
  loadedAt: number | null
  /** Why the file on disk is not what is served (missing, unreadable, invalid), or null. */
  problem: string | null
  problems: FlagFileProblem[]
}

export interface SourceState {
  path: string
  flags: Map<string, SourceFlag>
  metadata: FlagMetadata
  loadedAt: number | null
  textHash: string | null
  /** The hash of the text the served flags came from (its last good version). */
  servedHash: string | null
  problem: string | null
  problems: FlagFileProblem[]
  mtimeMs: number
  /** A read is in flight; `again`: the file changed during it, read once more after. */
  reading: boolean
  again: boolean
  watcher?: FSWatcher
  timer?: NodeJS.Timeout
  poll?: NodeJS.Timeout
}

export function newSource(path: string): SourceState {
  return {
    path,
    flags: new Map(),
    metadata: {},
    loadedAt: null,
    textHash: null,
    servedHash: null,
    problem: null,
    problems: [],
    mtimeMs: -1,
    reading: false,
    again: false,
  }
}

export function sourceStatus(s: SourceState): SourceStatus {
  return {
    path: s.path,
    flags: s.flags.size,
    loadedAt: s.loadedAt,
    problem: s.problem,
    problems: s.problems,
  }
}

/**
 * Takes a read's outcome into the state (the flags of a good read are given separately, as
 * `flags`). Returns whether the served flags changed.
 */
export function applyRead(
  state: SourceState,
  read: FlagFileRead,
  flags: Map<string, SourceFlag>,
  now: number,
): boolean {
  state.mtimeMs = read.mtimeMs
  switch (read.kind) {
    case 'unchanged':
      return false
    case 'unreadable':
      state.problem = read.problem
      state.problems = []
      return false
    case 'invalid': {
      const errors = read.problems.filter((p) => p.severity === 'error')
      state.problems = read.problems
      state.problem = `${errors.length} problem${errors.length === 1 ? '' : 's'} (${errors.map(formatFlagProblem).join('; ')})${state.loadedAt === null ? '' : '; its last good version keeps serving'}`
      state.textHash = read.hash
      return false
    }
    case 'flags':
      state.problems = read.problems
      state.flags = flags
      state.metadata = read.metadata
      state.loadedAt = now
      state.textHash = read.hash
      state.servedHash = read.hash
      state.problem = null
      return true
  }
}

/** Calls `changed` (debounced) when the file may have changed. */
export function watchSource(state: SourceState, pollMs: number, changed: () => void): void {
  const later = () => {
    if (state.timer !== undefined) clearTimeout(state.timer)
    state.timer = setTimeout(changed, 100)
  }
  try {
    state.watcher = watch(dirname(state.path), (_event, name) => {
      if (name === null || name === basename(state.path)) later()
    })
    state.watcher.on('error', () => undefined)
  } catch {
    // the directory is gone: the stat poll below notices when it comes back
  }
  state.poll = setInterval(() => {
    let mtime: number
    try {
      mtime = existsSync(state.path) ? statSync(state.path).mtimeMs : -1
    } catch {
      mtime = -1
    }
    if (mtime !== state.mtimeMs) later()
  }, pollMs)
  state.poll.unref()
}

export function unwatchSource(state: SourceState): void {
  state.watcher?.close()
  if (state.timer !== undefined) clearTimeout(state.timer)
  if (state.poll !== undefined) clearInterval(state.poll)
}
