/**
 * The daemon's flags: flag files it watches (hot-reloaded; a file with an error is refused whole and
 * its last good version keeps serving), flags set through the API (they win over files), merged into
 * one compiled flag set. Every change bumps the version, is recorded in the audit log, and is told to
 * listeners (OFREP's and the flag event stream's subscribers).
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { ConflictError, InputError, NotFoundError, ValidationError } from '../../errors.js'
import {
  canonicalJson,
  checkFlagDocument,
  FlagSet,
  resolveRefs,
  type FlagDefinition,
  type FlagDocument,
  type FlagMetadata,
} from '../../flags/index.js'
import { formatFlagProblem, loadFlagFile, type FlagFileProblem } from '../../manifests/flag-file.js'
import { FlagDb, type AuditAction, type AuditEntry, type ManagedFlag } from './flag-db.js'
import { OutcomeCounters } from './outcomes.js'

export type { AuditEntry }

/** How a flag changed, in flagd's event vocabulary. */
export type FlagChangeType = 'write' | 'update' | 'delete'

export interface FlagChange {
  /** The configuration version after the change. */
  version: number
  etag: string
  flags: Record<string, { type: FlagChangeType }>
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

interface SourceState {
  path: string
  flags: Map<string, FlagDefinition>
  metadata: FlagMetadata
  loadedAt: number | null
  textHash: string | null
  problem: string | null
  problems: FlagFileProblem[]
  watcher?: FSWatcher
  timer?: NodeJS.Timeout
  poll?: NodeJS.Timeout
  mtimeMs: number
}

export interface FlagEntry {
  key: string
  flag: FlagDefinition
  /** `api`, or `file:PATH`. */
  source: string
  /** Files whose definition of the key is hidden by a later file or by the API. */
  shadows: string[]
}

export interface FlagServiceOptions {
  stateDir: string
  log: (line: string) => void
  now?: () => number
  /** How often watched files are also checked by their stat (a backstop for missed events). */
  pollMs?: number
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')

export class FlagService {
  readonly db: FlagDb
  readonly outcomes = new OutcomeCounters()
  readonly #sources = new Map<string, SourceState>()
  readonly #managed = new Map<string, ManagedFlag>()
  #entries = new Map<string, FlagEntry>()
  #set = new FlagSet({ flags: {} })
  #version = 0
  #etag = ''
  readonly #listeners = new Set<(change: FlagChange) => void>()
  readonly #log: (line: string) => void
  readonly #now: () => number
  readonly #pollMs: number
  #closed = false

  constructor(options: FlagServiceOptions) {
    this.db = new FlagDb(options.stateDir)
    this.#log = options.log
    this.#now = options.now ?? Date.now
    this.#pollMs = options.pollMs ?? 2000
    for (const m of this.db.managed()) this.#managed.set(m.key, m)
    for (const path of this.db.sources()) {
      const state = this.#newSource(path)
      this.#load(state)
      if (state.problem !== null) this.#log(`flag file ${path}: ${state.problem}`)
      this.#watch(state)
    }
    this.#rebuild()
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
    return this.#etag
  }

  /** The served configuration as one flagd document (refs resolved; file metadata merged). */
  document(): FlagDocument {
    return this.#set.document
  }

  list(): FlagEntry[] {
    return [...this.#entries.values()]
  }

  entry(key: string): FlagEntry {
    const e = this.#entries.get(key)
    if (e === undefined) throw this.notFound(key)
    return e
  }

  sources(): SourceStatus[] {
    return [...this.#sources.values()].map((s) => ({
      path: s.path,
      flags: s.flags.size,
      loadedAt: s.loadedAt,
      problem: s.problem,
      problems: s.problems,
    }))
  }

  onChange(listener: (change: FlagChange) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  // ---- sources ----

  /** Watches a flag file. A file with errors is refused (nothing changes) with every problem. */
  addSource(file: string, actor: string): SourceStatus {
    const path = resolve(file)
    if (this.#sources.has(path)) throw new ConflictError(`flag file ${path} is already watched`)
    const state = this.#newSource(path)
    this.#load(state)
    if (state.loadedAt === null) {
      const errors = state.problems.filter((p) => p.severity === 'error')
      throw new ValidationError(
        errors.length > 0
          ? `flag file ${path} has ${errors.length} problem${errors.length === 1 ? '' : 's'}:\n  ${errors.map(formatFlagProblem).join('\n  ')}`
          : `flag file ${path}: ${state.problem ?? 'cannot be read'}`,
        { hint: 'fix the file and add it again; nothing was changed', details: state.problems },
      )
    }
    this.db.addSource(path, actor, this.#now())
    this.#sources.set(path, state)
    this.#watch(state)
    this.#rebuild(actor, 'file', `file:${path}`)
    this.#log(`watching flag file ${path} (${state.flags.size} flags)`)
    return this.sources().find((s) => s.path === path) as SourceStatus
  }

  removeSource(file: string, actor: string): void {
    const path = resolve(file)
    const state = this.#sources.get(path)
    if (state === undefined)
      throw new NotFoundError(`flag file ${path} is not watched`, {
        hint: `watched files: ${[...this.#sources.keys()].join(', ') || 'none'}`,
      })
    this.#unwatch(state)
    this.#sources.delete(path)
    this.db.removeSource(path)
    this.#rebuild(actor, 'file', `file:${path}`)
  }

  #newSource(path: string): SourceState {
    return {
      path,
      flags: new Map(),
      metadata: {},
      loadedAt: null,
      textHash: null,
      problem: null,
      problems: [],
      mtimeMs: -1,
    }
  }

  /** Reads the file; on success its flags replace the last good ones. Returns whether they changed. */
  #load(state: SourceState): boolean {
    let text: string
    try {
      // The stamp before the read: a write during the read is seen by the next check.
      state.mtimeMs = statSync(state.path).mtimeMs
      text = readFileSync(state.path, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      state.problem =
        code === 'ENOENT' ? 'the file is missing' : `cannot be read (${code ?? String(err)})`
      state.problems = []
      return false
    }
    const hash = sha1(text)
    if (hash === state.textHash) return false
    const loaded = loadFlagFile(text, state.path)
    state.problems = loaded.problems
    if (loaded.document === undefined) {
      const errors = loaded.problems.filter((p) => p.severity === 'error')
      state.problem = `${errors.length} problem${errors.length === 1 ? '' : 's'} (${errors.map(formatFlagProblem).join('; ')})${state.loadedAt === null ? '' : '; its last good version keeps serving'}`
      state.textHash = hash
      return false
    }
    const doc = loaded.document
    const evaluators = doc.$evaluators ?? {}
    state.flags = new Map(
      Object.entries(doc.flags).map(([key, flag]) => {
        if (flag.targeting === undefined || doc.$evaluators === undefined) return [key, flag]
        return [key, { ...flag, targeting: resolveRefs(flag.targeting, evaluators) }]
      }),
    )
    state.metadata = doc.metadata ?? {}
    state.loadedAt = this.#now()
    state.textHash = hash
    state.problem = null
    return true
  }

  #watch(state: SourceState): void {
    const reload = () => {
      if (state.timer !== undefined) clearTimeout(state.timer)
      state.timer = setTimeout(() => this.#reload(state), 100)
    }
    try {
      // The directory, not the file: editors save by writing a new file and renaming it over.
      state.watcher = watch(dirname(state.path), (_event, name) => {
        if (name === null || name === basename(state.path)) reload()
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
      if (mtime !== state.mtimeMs) reload()
    }, this.#pollMs)
    state.poll.unref()
  }

  #unwatch(state: SourceState): void {
    state.watcher?.close()
    if (state.timer !== undefined) clearTimeout(state.timer)
    if (state.poll !== undefined) clearInterval(state.poll)
  }

  #reload(state: SourceState): void {
    if (this.#closed || !this.#sources.has(state.path)) return
    const before = state.problem
    const changed = this.#load(state)
    if (state.problem !== null && state.problem !== before)
      this.#log(`flag file ${state.path}: ${state.problem}`)
    if (changed) {
      this.#log(`flag file ${state.path} reloaded (${state.flags.size} flags)`)
      this.#rebuild(`file:${state.path}`, 'file', `file:${state.path}`)
    }
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
    this.#managed.set(key, { key, flag: definition, updatedAt: at, actor })
    try {
      this.#rebuild(actor, action, 'api', (audit) =>
        this.db.change(key, definition, at, actor, audit),
      )
    } catch (err) {
      this.#reloadManaged()
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
    if (!this.#managed.has(key)) {
      const e = this.#entries.get(key)
      if (e !== undefined)
        throw new ConflictError(`flag ${key} comes from ${e.source}, not from the API`, {
          hint: 'remove it from that file, or stop watching the file with `kanari flags unwatch`',
        })
      throw this.notFound(key)
    }
    const at = this.#now()
    this.#managed.delete(key)
    try {
      this.#rebuild(actor, 'delete', null, (audit) => this.db.change(key, null, at, actor, audit))
    } catch (err) {
      this.#reloadManaged()
      throw err
    }
    return { servedFrom: this.#entries.get(key)?.source ?? null }
  }

  #reloadManaged(): void {
    this.#managed.clear()
    for (const m of this.db.managed()) this.#managed.set(m.key, m)
  }

  notFound(key: string): NotFoundError {
    const known = [...this.#entries.keys()]
    return new NotFoundError(`flag ${key} not found`, {
      hint:
        known.length === 0
          ? 'add a flag file with `kanari flags watch -f flags.json`, or `kanari flags set`'
          : `known flags: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''}`,
    })
  }

  // ---- merging ----

  /**
   * Merges files (in the order added, later wins) and API flags (win over files), compiles, and when
   * anything changed: persists through `persist` (with the audit entries), then bumps the version
   * and tells listeners.
   */
  #rebuild(
    actor = 'daemon',
    action: AuditAction = 'file',
    source: string | null = null,
    persist?: (audit: Omit<AuditEntry, 'id'>[]) => void,
  ): void {
    const entries = new Map<string, FlagEntry>()
    const metadata: FlagMetadata = {}
    for (const s of this.#sources.values()) {
      Object.assign(metadata, s.metadata)
      for (const [key, flag] of s.flags) {
        const shadowed = entries.get(key)
        entries.set(key, {
          key,
          flag,
          source: `file:${s.path}`,
          shadows: shadowed === undefined ? [] : [...shadowed.shadows, shadowed.source],
        })
      }
    }
    for (const m of this.#managed.values()) {
      const shadowed = entries.get(m.key)
      entries.set(m.key, {
        key: m.key,
        flag: m.flag,
        source: 'api',
        shadows: shadowed === undefined ? [] : [...shadowed.shadows, shadowed.source],
      })
    }
    const flags: Record<string, FlagDefinition> = {}
    for (const [k, e] of entries) flags[k] = e.flag
    const document: FlagDocument =
      Object.keys(metadata).length === 0 ? { flags } : { flags, metadata }
    const changes: Record<string, { type: FlagChangeType }> = {}
    const audit: Omit<AuditEntry, 'id'>[] = []
    const at = this.#now()
    for (const [key, e] of entries) {
      const old = this.#entries.get(key)
      if (old === undefined) changes[key] = { type: 'write' }
      else if (canonicalJson(old.flag) !== canonicalJson(e.flag)) changes[key] = { type: 'update' }
      else continue
      audit.push({
        at,
        actor,
        action,
        key,
        before: old?.flag ?? null,
        after: e.flag,
        source: e.source,
      })
    }
    for (const [key, old] of this.#entries)
      if (!entries.has(key)) {
        changes[key] = { type: 'delete' }
        audit.push({ at, actor, action, key, before: old.flag, after: null, source })
      }
    const first = this.#etag === ''
    if (!first && Object.keys(changes).length === 0 && persist === undefined) return
    persist?.(audit)
    if (persist === undefined && !first && audit.length > 0) {
      try {
        this.db.record(audit)
      } catch (err) {
        this.#log(
          `flags: could not record changes from ${source ?? actor} in the audit log: ${String(err)}`,
        )
      }
    }
    this.#entries = entries
    this.#set = new FlagSet(document)
    this.#etag = sha1(canonicalJson(document)).slice(0, 20)
    if (first) return
    this.#version++
    const change: FlagChange = { version: this.#version, etag: this.#etag, flags: changes }
    for (const l of this.#listeners) {
      try {
        l(change)
      } catch (err) {
        this.#log(`flags: a change listener failed: ${String(err)}`)
      }
    }
  }

  audit(options: { key?: string; limit?: number } = {}): AuditEntry[] {
    return this.db.audit(options)
  }

  close(): void {
    this.#closed = true
    for (const s of this.#sources.values()) this.#unwatch(s)
    this.#listeners.clear()
    this.db.close()
  }
}
