/**
 * Reading manifests: multi-document YAML with source positions kept, so every problem found later
 * can point at its file and line.
 */
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
} from 'yaml'
import type { SpecProblem } from './problems.js'

export interface LoadedDocument {
  file: string
  /** 0-based position of the document in its file. */
  index: number
  value: unknown
  /** The 1-based line of a path in this document (of the nearest existing ancestor when missing). */
  lineOf(path: (string | number)[], options?: { key?: boolean }): number
}

export function loadDocuments(
  text: string,
  file: string,
): { documents: LoadedDocument[]; problems: SpecProblem[] } {
  const lineCounter = new LineCounter()
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false })
  const problems: SpecProblem[] = []
  const documents: LoadedDocument[] = []
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : []
  if (!Array.isArray(docs)) problems.push({ file, line: 1, path: '', message: 'not a YAML stream' })
  list.forEach((doc, index) => {
    for (const err of doc.errors) {
      problems.push({
        file,
        line: lineCounter.linePos(err.pos[0]).line,
        path: '',
        message: `YAML syntax: ${err.message.split('\n')[0] ?? err.message}`,
      })
    }
    if (doc.errors.length > 0 || doc.contents === null) return
    const lineOf = (path: (string | number)[], options: { key?: boolean } = {}): number => {
      let node: unknown = doc.contents
      let line = lineCounter.linePos((doc.contents as Node).range?.[0] ?? 0).line
      for (const seg of path) {
        let next: unknown
        let keyNode: unknown
        if (isMap(node)) {
          const pair = node.items.find(
            (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
          )
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
    documents.push({ file, index, value: doc.toJS({ maxAliasCount: 100 }) as unknown, lineOf })
  })
  return { documents, problems }
}
