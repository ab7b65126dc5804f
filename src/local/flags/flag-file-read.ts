/**
 * Reading one watched flag file into what the daemon serves (parsed by manifests/flag-file.ts: `.json`
 * files as strict JSON, others as YAML); every problem with its line; flags with `$ref`s resolved, each with its
 * canonical text (to tell which flags changed, and for the ETag). Synchronous: the daemon runs it in
 * a worker thread (flag-file-worker.ts) so that a large file never stalls requests.
 */
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import {
  canonicalJson,
  resolveRefs,
  type FlagDefinition,
  type FlagMetadata,
} from '../../flags/index.js'
import { loadFlagFile, type FlagFileProblem } from '../../manifests/flag-file.js'

/** One flag as read: its key, its definition (refs resolved) and its canonical JSON text. */
export type ReadFlag = [key: string, flag: FlagDefinition, text: string]

export type FlagFileRead =
  /** The file is missing or cannot be read. */
  | { kind: 'unreadable'; mtimeMs: number; problem: string }
  /** The same text as `lastHash`: nothing to do. */
  | { kind: 'unchanged'; mtimeMs: number }
  | {
      kind: 'invalid'
      mtimeMs: number
      hash: string
      problems: FlagFileProblem[]
      /** Too deep for this thread's stack (the daemon's main thread at start): read it in the worker. */
      outOfStack?: true
    }
  | {
      kind: 'flags'
      mtimeMs: number
      hash: string
      problems: FlagFileProblem[]
      flags: ReadFlag[]
      metadata: FlagMetadata
    }

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')

/** Reads `path` unless its text hashes to `lastHash`. */
export function readFlagFile(path: string, lastHash: string | null): FlagFileRead {
  let text: string
  let mtimeMs = -1
  try {
    // The stamp before the read: a write during the read is seen by the next check.
    mtimeMs = statSync(path).mtimeMs
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return {
      kind: 'unreadable',
      mtimeMs,
      problem:
        code === 'ENOENT' ? 'the file is missing' : `cannot be read (${code ?? String(err)})`,
    }
  }
  const hash = sha1(text)
  if (hash === lastHash) return { kind: 'unchanged', mtimeMs }
  const loaded = loadFlagFile(text, path)
  if (loaded.document === undefined)
    return loaded.outOfStack === true
      ? { kind: 'invalid', mtimeMs, hash, problems: loaded.problems, outOfStack: true }
      : { kind: 'invalid', mtimeMs, hash, problems: loaded.problems }
  const doc = loaded.document
  const flags = Object.entries(doc.flags).map(([key, flag]): ReadFlag => {
    const resolved =
      flag.targeting === undefined || doc.$evaluators === undefined
        ? flag
        : { ...flag, targeting: resolveRefs(flag.targeting, doc.$evaluators) }
    return [key, resolved, canonicalJson(resolved)]
  })
  return {
    kind: 'flags',
    mtimeMs,
    hash,
    problems: loaded.problems,
    flags,
    metadata: doc.metadata ?? {},
  }
}
