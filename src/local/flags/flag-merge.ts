/**
 * Merging the served flags: files in the order added (a later file wins), then flags set through
 * the API (they win over files). Which flags changed is told by their canonical texts, and the
 * ETag hashes those texts: no flag is serialised again on a reload.
 */
import { createHash } from 'node:crypto'
import {
  canonicalJson,
  type FlagDefinition,
  type FlagDocument,
  type FlagMetadata,
} from '../../flags/index.js'
import type { AuditAction, AuditEntry } from './flag-db.js'
import type { SourceState } from './flag-sources.js'

/** How a flag changed, in flagd's event vocabulary. */
export type FlagChangeType = 'write' | 'update' | 'delete'

export interface FlagEntry {
  key: string
  flag: FlagDefinition
  /** `api`, or `file:PATH`. */
  source: string
  /** Files whose definition of the key is hidden by a later file or by the API. */
  shadows: string[]
}

/** A flag set through the API, with its canonical text. */
export interface ApiFlag {
  key: string
  flag: FlagDefinition
  text: string
}

export interface Served {
  entries: Map<string, FlagEntry>
  /** Canonical text by key. */
  texts: Map<string, string>
  document: FlagDocument
  etag: string
}

export function mergeFlags(sources: Iterable<SourceState>, api: Iterable<ApiFlag>): Served {
  const entries = new Map<string, FlagEntry>()
  const texts = new Map<string, string>()
  const metadata: FlagMetadata = {}
  const put = (key: string, flag: FlagDefinition, text: string, source: string) => {
    const shadowed = entries.get(key)
    entries.set(key, {
      key,
      flag,
      source,
      shadows: shadowed === undefined ? [] : [...shadowed.shadows, shadowed.source],
    })
    texts.set(key, text)
  }
  for (const s of sources) {
    Object.assign(metadata, s.metadata)
    for (const [key, f] of s.flags) put(key, f.flag, f.text, `file:${s.path}`)
  }
  for (const m of api) put(m.key, m.flag, m.text, 'api')
  const flags: Record<string, FlagDefinition> = {}
  for (const [k, e] of entries) flags[k] = e.flag
  const hasMetadata = Object.keys(metadata).length > 0
  const document: FlagDocument = hasMetadata ? { flags, metadata } : { flags }
  // The same flags give the same tag, in any order, across restarts.
  const hash = createHash('sha1').update(hasMetadata ? canonicalJson(metadata) : '')
  for (const key of [...texts.keys()].sort()) hash.update(`\0${key}\0${texts.get(key) as string}`)
  return { entries, texts, document, etag: hash.digest('hex').slice(0, 20) }
}

/** What changed from `before` to `after`: per-flag change types and the audit entries. */
export function diffServed(
  before: Served,
  after: Served,
  who: { at: number; actor: string; action: AuditAction; source: string | null },
): { changes: Record<string, { type: FlagChangeType }>; audit: Omit<AuditEntry, 'id'>[] } {
  const { at, actor, action, source } = who
  const changes: Record<string, { type: FlagChangeType }> = {}
  const audit: Omit<AuditEntry, 'id'>[] = []
  for (const [key, e] of after.entries) {
    const old = before.entries.get(key)
    if (old === undefined) changes[key] = { type: 'write' }
    else if (before.texts.get(key) !== after.texts.get(key)) changes[key] = { type: 'update' }
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
  for (const [key, old] of before.entries)
    if (!after.entries.has(key)) {
      changes[key] = { type: 'delete' }
      audit.push({ at, actor, action, key, before: old.flag, after: null, source })
    }
  return { changes, audit }
}
