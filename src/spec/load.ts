/**
 * Reading manifests: multi-document YAML with source positions kept, so every problem found later
 * can point at its file and line.
 */
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml'
import { formatPath, type SpecProblem } from './problems.js'
import { escapeUnsafe } from './shown-value.js'
import { MAX_DEPTH, nestsTooDeep } from './yaml-depth.js'
import { checkKeys } from './yaml-keys.js'

export interface LoadedDocument {
  file: string
  /** 0-based position of the document in its file. */
  index: number
  /** Plain data: a tree (no alias makes it contain itself) of mappings, lists and scalars. */
  value: unknown
  /** The 1-based line of a path in this document (of the nearest existing ancestor when missing). */
  lineOf(path: (string | number)[], options?: { key?: boolean }): number
}

/** How many times aliases may be expanded in one document, against alias bombs. */
const MAX_ALIAS_COUNT = 100

export interface LoadOptions {
  /** Collections a document may nest (default MAX_DEPTH, room for any manifest). */
  maxDepth?: number
  /** The problem of a document nested deeper than maxDepth. */
  tooDeep?: string
}

export function loadDocuments(
  text: string,
  file: string,
  options: LoadOptions = {},
): { documents: LoadedDocument[]; problems: SpecProblem[]; outOfStack?: true } {
  const maxDepth = options.maxDepth ?? MAX_DEPTH
  const tooDeep =
    options.tooDeep ??
    `YAML: nested more than ${maxDepth} levels deep (a manifest needs about 10); is a bracket or an indent out of place?`
  /** Documents within the depth limit that this thread's stack could not read. */
  const outOfStack: number[] = []
  const lineCounter = new LineCounter()
  // Keys are checked by ./yaml-keys.ts, in one pass; yaml's own check (uniqueKeys) is quadratic.
  // No YAML 1.1 tags (!!binary, !!set, !!omap, !!timestamp): a manifest is plain JSON-like data, and
  // a Set or a Date would pass a schema's "object" while holding nothing the schema looks at.
  const docs = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    resolveKnownTags: false,
  })
  const problems: SpecProblem[] = []
  const documents: LoadedDocument[] = []
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : []
  if (!Array.isArray(docs)) problems.push({ file, line: 1, path: '', message: 'not a YAML stream' })
  list.forEach((doc, index) => {
    // Too deep to read: one problem, not yaml's errors, which depend on where its stack ran out.
    const exhausted = doc.errors.some((e) => e.code === 'RESOURCE_EXHAUSTION')
    const line = lineCounter.linePos(doc.range[0]).line
    if (nestsTooDeep(doc.contents, maxDepth) || (exhausted && maxDepth <= MAX_DEPTH)) {
      problems.push({ file, line, path: '', message: tooDeep })
      return
    }
    if (exhausted) {
      // Within the limit, yet deeper than this thread's stack holds: the caller may read it again
      // on a thread with a larger one.
      outOfStack.push(index)
      problems.push({
        file,
        line,
        path: '',
        message: `YAML: nested too deep to read with this thread's stack (the limit is ${maxDepth} levels)`,
      })
      return
    }
    for (const err of doc.errors) {
      problems.push({
        file,
        line: lineCounter.linePos(err.pos[0]).line,
        path: '',
        message: `YAML syntax: ${escapeUnsafe(err.message.split('\n')[0] ?? err.message)}`,
      })
    }
    if (doc.errors.length > 0 || doc.contents === null || isEmpty(doc.contents)) return
    const keyProblems = checkKeys(doc.contents, (offset) => lineCounter.linePos(offset).line)
    for (const k of keyProblems)
      problems.push({ file, line: k.line, path: formatPath(k.path), message: k.message })
    if (keyProblems.length > 0) return
    // Pairs by key, per mapping, built when first asked: a mapping with thousands of unknown keys
    // would otherwise be searched from the start for each of their problems.
    const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>()
    const pairOf = (map: YAMLMap, key: string): Pair | undefined => {
      let index = pairIndex.get(map)
      if (index === undefined) {
        index = new Map()
        for (const p of map.items) {
          const k = isScalar(p.key) ? String(p.key.value) : undefined
          if (k !== undefined && !index.has(k)) index.set(k, p)
        }
        pairIndex.set(map, index)
      }
      return index.get(key)
    }
    const lineOf = (path: (string | number)[], options: { key?: boolean } = {}): number => {
      let node: unknown = doc.contents
      let line = lineCounter.linePos((doc.contents as Node).range?.[0] ?? 0).line
      for (const seg of path) {
        let next: unknown
        let keyNode: unknown
        if (isMap(node)) {
          const pair = pairOf(node, String(seg))
          next = pair?.value
          keyNode = pair?.key
        } else if (isSeq(node) && typeof seg === 'number') next = node.items[seg]
        if (next === undefined && keyNode === undefined) return line
        const target =
          (options.key === true && seg === path[path.length - 1] ? keyNode : next) ?? keyNode
        const range = (target as Node | undefined)?.range
        if (range !== undefined && range !== null) line = lineCounter.linePos(range[0]).line
        node = next
      }
      return line
    }
    const at = (path: (string | number)[], message: string): void => {
      problems.push({
        file,
        line: lineOf(path),
        path: formatPath(path),
        message: escapeUnsafe(message),
      })
    }
    let value: unknown
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown
    } catch (err) {
      // yaml refuses alias bombs (and aliases it cannot resolve) with a ReferenceError.
      if (!(err instanceof ReferenceError)) throw err
      at(
        [],
        err.message.startsWith('Excessive alias count')
          ? `YAML: the aliases expand to more than ${MAX_ALIAS_COUNT} copies; write the values out instead`
          : `YAML: ${err.message}`,
      )
      return
    }
    const loop = recursivePath(value, new Set(), [])
    if (loop !== undefined) {
      at(
        loop,
        'YAML: this alias contains itself (the anchor is an ancestor of it); a manifest is a tree, write the value out',
      )
      return
    }
    documents.push({ file, index, value, lineOf })
  })
  return outOfStack.length > 0 ? { documents, problems, outOfStack: true } : { documents, problems }
}

/** A document with nothing in it (a trailing `---`, only comments): skipped, as kubectl skips it. */
function isEmpty(contents: unknown): boolean {
  return (
    isScalar(contents) &&
    contents.value === null &&
    contents.source === '' &&
    contents.tag === undefined &&
    contents.anchor === undefined
  )
}

/** The path of the first value that is one of its own ancestors (a recursive alias), if any. */
function recursivePath(
  value: unknown,
  ancestors: Set<object>,
  path: (string | number)[],
): (string | number)[] | undefined {
  if (value === null || typeof value !== 'object') return undefined
  if (ancestors.has(value)) return path
  ancestors.add(value)
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value)
  for (const [key, child] of entries) {
    const found = recursivePath(child, ancestors, [...path, key])
    if (found !== undefined) return found
  }
  ancestors.delete(value)
  return undefined
}
