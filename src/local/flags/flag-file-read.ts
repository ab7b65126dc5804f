/**
 * Reading one watched flag file into what the daemon serves: `.json` files as strict JSON (what flagd
 * accepts), others as YAML; every problem with its line; flags with `$ref`s resolved, each with its
 * canonical text (to tell which flags changed, and for the ETag). Synchronous: the daemon runs it in
 * a worker thread (flag-file-worker.ts) so that a large file never stalls requests.
 */
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import {
  canonicalJson,
  checkFlagDocument,
  pathSegments,
  resolveRefs,
  type FlagDefinition,
  type FlagMetadata,
} from '../../flags/index.js'
import {
  loadFlagFile,
  type FlagFileProblem,
  type LoadedFlagFile,
} from '../../manifests/flag-file.js'
import { jsonLines } from './json-lines.js'

/** One flag as read: its key, its definition (refs resolved) and its canonical JSON text. */
export type ReadFlag = [key: string, flag: FlagDefinition, text: string]

export type FlagFileRead =
  /** The file is missing or cannot be read. */
  | { kind: 'unreadable'; mtimeMs: number; problem: string }
  /** The same text as `lastHash`: nothing to do. */
  | { kind: 'unchanged'; mtimeMs: number }
  | { kind: 'invalid'; mtimeMs: number; hash: string; problems: FlagFileProblem[] }
  | {
      kind: 'flags'
      mtimeMs: number
      hash: string
      problems: FlagFileProblem[]
      flags: ReadFlag[]
      metadata: FlagMetadata
    }

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')

/** Parses a `.json` flag file strictly: a trailing comma or a comment is an error, as in flagd. */
export function loadJsonFlagFile(text: string, file: string): LoadedFlagFile {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    const at = /at position (\d+)/.exec(message)
    const offset = at === null ? text.length : Number(at[1])
    const before = text.slice(0, offset)
    const line = before.split('\n').length
    const column = offset - before.lastIndexOf('\n')
    const near = at === null ? '' : ` at line ${line}, column ${column}`
    return {
      problems: [
        {
          file,
          line,
          path: '',
          message: `JSON syntax${near}: ${message.replace(/ in JSON at position \d+/, '')} (a .json flag file is strict JSON: no trailing commas or comments; name it .yaml for YAML)`,
          severity: 'error',
        },
      ],
    }
  }
  const checked = checkFlagDocument(value)
  const lineOf = checked.problems.length === 0 ? () => 1 : jsonLines(text)
  const problems = checked.problems.map((p) => ({
    file,
    line: lineOf(pathSegments(p.path)),
    path: p.path,
    message: p.message,
    severity: p.severity,
  }))
  return checked.document === undefined ? { problems } : { document: checked.document, problems }
}

/** Parses a flag file's text by its name: strict JSON for `.json`, YAML otherwise. */
export function parseFlagFile(text: string, file: string): LoadedFlagFile {
  return file.toLowerCase().endsWith('.json')
    ? loadJsonFlagFile(text, file)
    : loadFlagFile(text, file)
}

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
  const loaded = parseFlagFile(text, path)
  if (loaded.document === undefined)
    return { kind: 'invalid', mtimeMs, hash, problems: loaded.problems }
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
