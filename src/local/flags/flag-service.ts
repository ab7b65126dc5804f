/**
 * The daemon's flags: flag files it watches (hot-reloaded off the serving path; a file with an error
 * is refused whole and its last good version keeps serving), flags set through the API (they win
 * over files), merged into one compiled flag set that is swapped in whole. Every change bumps the
 * version, is recorded in the audit log, and is told to listeners (OFREP's and the event stream's).
 */
import { resolve } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { ConflictError, InputError, NotFoundError, ValidationError } from '../../errors.js'
import {
  canonicalJson,
  checkFlagDocument,
  FlagCompiler,
  FlagSet,
  type FlagDefinition,
  type FlagDocument,
} from '../../flags/index.js'
import { formatFlagProblem } from '../../manifests/flag-file.js'
import { FlagDb, type AuditAction, type AuditEntry } from './flag-db.js'
import { readFlagFile } from './flag-file-read.js'
import { SourceReading, takeFlags } from './source-reading.js'
import {
  diffServed,
  mergeFlags,
  type ApiFlag,
  type FlagChangeType,
  type FlagEntry,
  type Served,
} from './flag-merge.js'
import {
  applyRead,
  newSource,
  sourceStatus,
  unwatchSource,
  watchSource,
  type SourceState,
  type SourceStatus,
} from './flag-sources.js'
import { OutcomeCounters } from './outcomes.js'

export type { AuditEntry, FlagChangeType, FlagEntry, SourceStatus }

export interface FlagChange {
  /** The configuration version after the change. */
  version: number
  etag: string
  flags: Record<string, { type: FlagChangeType }>
}

export interface FlagServiceOptions {
  stateDir: string
  log: (line: string) => void
  now?: () => number
  /** How often watched files are also checked by their stat (a backstop for missed events). */
  pollMs?: number
}

/** Audit entries of a file change written per transaction, with a turn of the event loop between. */
const AUDIT_BATCH = 500

export class FlagService {
  readonly db: FlagDb
  readonly outcomes = new OutcomeCounters()
  readonly #sources = new Map<string, SourceState>()
  readonly #api = new Map<string, ApiFlag & { updatedAt: number; actor: string }>()
  readonly #compiler = new FlagCompiler()
  readonly #reading = new SourceReading({
    compiler: this.#compiler,
    sources: () => this.#sources,
    api: () => this.#api.values(),
    served: () => this.#served.document,
    now: () => this.#now(),
  })
  #served: Served = mergeFlags([], [])
  #set = new FlagSet({ flags: {} })
  #version = 0
  readonly #listeners = new Set<(change: FlagChange) => void>()
  readonly #log: (line: string) => void
  readonly #now: () => number
  readonly #pollMs: number
  #audit: Promise<void> = Promise.resolve()
  #auditQueued = 0
  #closed = false

  constructor(options: FlagServiceOptions) {
    this.db = new FlagDb(options.stateDir)
    this.#log = options.log
    this.#now = options.now ?? Date.now
    this.#pollMs = options.pollMs ?? 2000
    for (const m of this.db.managed()) this.#api.set(m.key, { ...m, text: canonicalJson(m.flag) })
    // At start nothing is served yet: the files are read here, before the daemon listens.
    for (const path of this.db.sources()) {
      const state = newSource(path)
      const read = readFlagFile(path, null)
      applyRead(
        state,
        read,
        read.kind === 'flags' ? takeFlags(state, read.flags).all : state.flags,
        this.#now(),
      )
      this.#sources.set(path, state)
      this.#watch(state)
      if (read.kind === 'invalid' && read.outOfStack === true) {
        // The worker's stack reads what this thread's could not: read it there now.
        state.textHash = null
        void this.#reload(state)
      } else if (state.problem !== null) this.#log(`flag file ${path}: ${state.problem}`)
    }
    this.#served = mergeFlags(this.#sources.values(), this.#api.values())
    this.#set = new FlagSet(this.#served.document, this.#compiler)
  }

  /** The compiled flags as served now. */
  get flagSet(): FlagSet {
    return this.#set
  }

  get version(): number {
    return this.#version
  }

  /** A hash of the served configuration: the same flags give the same tag, across restarts. */
  get etag(): string {
    return this.#served.etag
  }

  /** The served configuration as one flagd document (refs resolved; file metadata merged). */
  document(): FlagDocument {
    return this.#set.document
  }

  list(): FlagEntry[] {
    return [...this.#served.entries.values()]
  }

  entry(key: string): FlagEntry {
    const e = this.#served.entries.get(key)
    if (e === undefined) throw this.notFound(key)
    return e
  }

  sources(): SourceStatus[] {
    return [...this.#sources.values()].map(sourceStatus)
  }

  onChange(listener: (change: FlagChange) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Resolves once every change made so far is in the audit log. */
  async settled(): Promise<void> {
    await this.#audit
  }

  // ---- sources ----

  /** Watches a flag file. A file with errors is refused (nothing changes) with every problem. */
  async addSource(file: string, actor: string): Promise<SourceStatus> {
    const path = resolve(file)
    if (this.#sources.has(path)) throw new ConflictError(`flag file ${path} is already watched`)
    const state = newSource(path)
    await this.#reading.read(state, () => !this.#closed)
    if (state.loadedAt === null) {
      const errors = state.problems.filter((p) => p.severity === 'error')
      throw new ValidationError(
        errors.length > 0
          ? `flag file ${path} has ${errors.length} problem${errors.length === 1 ? '' : 's'}:\n  ${errors.map(formatFlagProblem).join('\n  ')}`
          : `flag file ${path}: ${state.problem ?? 'cannot be read'}`,
        { hint: 'fix the file and add it again; nothing was changed', details: state.problems },
      )
    }
    if (this.#sources.has(path)) throw new ConflictError(`flag file ${path} is already watched`)
    this.db.addSource(path, actor, this.#now())
    this.#sources.set(path, state)
    this.#watch(state)
    this.#rebuild(actor, 'file', `file:${path}`)
    this.#log(`watching flag file ${path} (${state.flags.size} flags)`)
    return sourceStatus(state)
  }

  removeSource(file: string, actor: string): void {
    const path = resolve(file)
    const state = this.#sources.get(path)
    if (state === undefined)
      throw new NotFoundError(`flag file ${path} is not watched`, {
        hint: `watched files: ${[...this.#sources.keys()].join(', ') || 'none'}`,
      })
    unwatchSource(state)
    this.#sources.delete(path)
    this.db.removeSource(path)
    this.#rebuild(actor, 'file', `file:${path}`)
  }

  #watch(state: SourceState): void {
    watchSource(state, this.#pollMs, () => void this.#reload(state))
  }

  /** Reads the file again (one read at a time per file) and serves its flags if they changed. */
  async #reload(state: SourceState): Promise<void> {
    if (state.reading) {
      state.again = true
      return
    }
    state.reading = true
    try {
      for (let again = true; again; again = this.#takeAgain(state)) {
        const before = state.problem
        const changed = await this.#reading.read(
          state,
          () => !this.#closed && this.#sources.get(state.path) === state,
        )
        if (this.#closed || this.#sources.get(state.path) !== state) return
        if (state.problem !== null && state.problem !== before)
          this.#log(`flag file ${state.path}: ${state.problem}`)
        if (changed) {
          this.#log(`flag file ${state.path} reloaded (${state.flags.size} flags)`)
          this.#rebuild(`file:${state.path}`, 'file', `file:${state.path}`)
        }
      }
    } catch (err) {
      if (!this.#closed) this.#log(`flag file ${state.path}: reloading failed: ${String(err)}`)
    } finally {
      state.reading = false
    }
  }

  /** Whether the file changed again while it was read (and clears that). */
  #takeAgain(state: SourceState): boolean {
    const again = state.again
    state.again = false
    return again
  }

  // ---- changes through the API ----

  /** Sets a flag's definition (checked first: a bad one changes nothing). */
  setFlag(key: string, flag: unknown, actor: string, action: AuditAction = 'set'): FlagEntry {
    if (key === '') throw new InputError('a flag key must not be empty')
    const checked = checkFlagDocument({ flags: { [key]: flag } })
    const errors = checked.problems.filter((p) => p.severity === 'error')
    if (checked.document === undefined || errors.length > 0)
      throw new ValidationError(
        `flag ${key} is not valid: ${errors.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        { hint: 'fix it and set it again; nothing was changed', details: checked.problems },
      )
    const definition = checked.document.flags[key] as FlagDefinition
    const at = this.#now()
    const previous = this.#api.get(key)
    this.#api.set(key, {
      key,
      flag: definition,
      text: canonicalJson(definition),
      updatedAt: at,
      actor,
    })
    try {
      this.#rebuild(actor, action, 'api', (audit) =>
        this.db.change(key, definition, at, actor, audit),
      )
    } catch (err) {
      if (previous === undefined) this.#api.delete(key)
      else this.#api.set(key, previous)
      throw err
    }
    return this.entry(key)
  }

  /** Changes one flag as served now (`change` gets a copy) and sets the result. */
  update(
    key: string,
    change: (flag: FlagDefinition) => FlagDefinition,
    actor: string,
    action: AuditAction,
  ): FlagEntry {
    const current = this.entry(key).flag
    return this.setFlag(key, change(structuredClone(current)), actor, action)
  }

  setState(key: string, state: 'ENABLED' | 'DISABLED', actor: string): FlagEntry {
    return this.update(
      key,
      (f) => ({ ...f, state }),
      actor,
      state === 'ENABLED' ? 'enable' : 'disable',
    )
  }

  /** Removes the flag set through the API; a file's definition of the key serves again. */
  deleteFlag(key: string, actor: string): { servedFrom: string | null } {
    const previous = this.#api.get(key)
    if (previous === undefined) {
      const e = this.#served.entries.get(key)
      if (e !== undefined)
        throw new ConflictError(`flag ${key} comes from ${e.source}, not from the API`, {
          hint: 'remove it from that file, or stop watching the file with `kanari flags unwatch`',
        })
      throw this.notFound(key)
    }
    const at = this.#now()
    this.#api.delete(key)
    try {
      this.#rebuild(actor, 'delete', null, (audit) => this.db.change(key, null, at, actor, audit))
    } catch (err) {
      this.#api.set(key, previous)
      throw err
    }
    return { servedFrom: this.#served.entries.get(key)?.source ?? null }
  }

  notFound(key: string): NotFoundError {
    const known = [...this.#served.entries.keys()]
    return new NotFoundError(`flag ${key} not found`, {
      hint:
        known.length === 0
          ? 'add a flag file with `kanari flags watch -f flags.json`, or `kanari flags set`'
          : `known flags: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''}`,
    })
  }

  // ---- merging ----

  /**
   * Merges files and API flags and, when anything changed: persists through `persist` (with the
   * audit entries; a file's changes are recorded after, in batches), swaps the compiled set in,
   * bumps the version and tells listeners. Flags compiled ahead are not compiled again.
   */
  #rebuild(
    actor: string,
    action: AuditAction,
    source: string | null,
    persist?: (audit: Omit<AuditEntry, 'id'>[]) => void,
  ): void {
    const served = mergeFlags(this.#sources.values(), this.#api.values())
    const { changes, audit } = diffServed(this.#served, served, {
      at: this.#now(),
      actor,
      action,
      source,
    })
    if (Object.keys(changes).length === 0 && persist === undefined) return
    const set = new FlagSet(served.document, this.#compiler)
    persist?.(audit)
    if (persist === undefined && audit.length > 0) this.#record(audit, source ?? actor)
    this.#served = served
    this.#set = set
    this.#version++
    const change: FlagChange = { version: this.#version, etag: served.etag, flags: changes }
    for (const l of this.#listeners) {
      try {
        l(change)
      } catch (err) {
        this.#log(`flags: a change listener failed: ${String(err)}`)
      }
    }
  }

  /**
   * Records a file's changes in the audit log: a few at once, many a batch per turn so that a large
   * file never stalls requests (in order: a later change waits for an earlier one's batches).
   */
  #record(audit: Omit<AuditEntry, 'id'>[], from: string): void {
    const write = (batch: Omit<AuditEntry, 'id'>[]) => {
      try {
        if (!this.#closed) this.db.record(batch)
      } catch (err) {
        this.#log(`flags: could not record changes from ${from} in the audit log: ${String(err)}`)
      }
    }
    if (this.#auditQueued === 0 && audit.length <= AUDIT_BATCH) return write(audit)
    this.#auditQueued++
    this.#audit = this.#audit.then(async () => {
      for (let i = 0; i < audit.length; i += AUDIT_BATCH) {
        await nextTurn()
        write(audit.slice(i, i + AUDIT_BATCH))
      }
      this.#auditQueued--
    })
  }

  audit(options: { key?: string; limit?: number } = {}): AuditEntry[] {
    return this.db.audit(options)
  }

  close(): void {
    this.#closed = true
    for (const s of this.#sources.values()) unwatchSource(s)
    this.#listeners.clear()
    this.#reading.close()
    this.db.close()
  }
}
