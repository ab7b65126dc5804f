/**
 * Reading a watched file off the serving path: the worker parses and checks it, its flags arrive in
 * batches, and those whose text changed are compiled as they come, between requests, so that the
 * swap that serves them compiles nothing.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { FlagCompiler, type FlagDefinition, type FlagDocument } from '../../flags/index.js'
import type { ReadFlag } from './flag-file-read.js'
import { FlagFileReader } from './flag-file-reader.js'
import type { ApiFlag } from './flag-merge.js'
import { applyRead, type SourceFlag, type SourceState } from './flag-sources.js'

/** Flags compiled per turn of the event loop when the set's metadata changed (all recompile). */
const COMPILE_BATCH = 100

/** A batch's flags by key, the served object kept for each flag whose text is unchanged. */
export function takeFlags(
  state: SourceState,
  batch: ReadFlag[],
  all = new Map<string, SourceFlag>(),
): { all: Map<string, SourceFlag>; changed: Map<string, SourceFlag> } {
  const changed = new Map<string, SourceFlag>()
  for (const [key, flag, text] of batch) {
    const old = state.flags.get(key)
    if (old !== undefined && old.text === text) all.set(key, old)
    else {
      const f = { flag, text }
      all.set(key, f)
      changed.set(key, f)
    }
  }
  return { all, changed }
}

export interface SourceReadingOptions {
  compiler: FlagCompiler
  /** The watched files, in the order added. */
  sources: () => ReadonlyMap<string, SourceState>
  api: () => Iterable<ApiFlag>
  /** The document served now. */
  served: () => FlagDocument
  now: () => number
}

export class SourceReading {
  readonly #reader = new FlagFileReader()

  constructor(private readonly options: SourceReadingOptions) {}

  /**
   * Reads `state`'s file; the state takes the result only if `current()` still holds at the end.
   * Returns whether its flags changed.
   */
  async read(state: SourceState, current: () => boolean): Promise<boolean> {
    const { compiler } = this.options
    const received = new Map<string, SourceFlag>()
    let order: string[] = []
    let doc: FlagDocument = { flags: {} }
    const read = await this.#reader.read(state.path, state.textHash, state.servedHash, {
      onMetadata: (metadata, keys) => {
        doc = this.#predicted(state, metadata)
        order = keys
      },
      onFlags: (batch) => {
        for (const [key, f] of takeFlags(state, batch, received).changed)
          compiler.compile(key, f.flag, doc)
      },
    })
    if (!current()) return false
    // The flags not sent are those unchanged since the served version: the same objects.
    const flags = new Map<string, SourceFlag>()
    for (const key of order) {
      const f = received.get(key) ?? state.flags.get(key)
      if (f === undefined) throw new Error(`flag ${key} of ${state.path} was not received`)
      flags.set(key, f)
    }
    const metadataChanged =
      FlagCompiler.metadataText(doc) !== FlagCompiler.metadataText(this.options.served())
    if (read.kind === 'flags' && metadataChanged) {
      // New metadata changes every flag's answers: compile them all, a batch per turn.
      const all = [...this.#predictedFlags(state, flags)]
      for (let i = 0; i < all.length; i += COMPILE_BATCH) {
        for (const [key, flag] of all.slice(i, i + COMPILE_BATCH)) compiler.compile(key, flag, doc)
        await nextTurn()
        if (!current()) return false
      }
    }
    return applyRead(state, read, flags, this.options.now())
  }

  /** The served document's metadata if `state` had `metadata` (for compiling ahead). */
  #predicted(state: SourceState, metadata: FlagDocument['metadata']): FlagDocument {
    const merged = {}
    const sources = this.options.sources()
    for (const s of sources.values()) Object.assign(merged, s === state ? metadata : s.metadata)
    if (!sources.has(state.path)) Object.assign(merged, metadata)
    return Object.keys(merged).length === 0 ? { flags: {} } : { flags: {}, metadata: merged }
  }

  /** Every flag that would be served with `flags` as `state`'s. */
  #predictedFlags(state: SourceState, flags: Map<string, SourceFlag>): Map<string, FlagDefinition> {
    const all = new Map<string, FlagDefinition>()
    const sources = this.options.sources()
    for (const s of sources.values())
      for (const [k, f] of s === state ? flags : s.flags) all.set(k, f.flag)
    if (!sources.has(state.path)) for (const [k, f] of flags) all.set(k, f.flag)
    for (const m of this.options.api()) all.set(m.key, m.flag)
    return all
  }

  close(): void {
    this.#reader.close()
  }
}
