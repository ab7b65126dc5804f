/** The problems found in one manifest document, each placed at its file, line and path as it is added. */
import type { LoadedDocument } from '../load.js'
import { formatPath, type SpecProblem } from '../problems.js'
import { escapeUnsafe } from '../shown-value.js'

/** A path into a document: keys and array indexes, e.g. `['spec', 'strategy', 'canary', 'steps', 2]`. */
export type Path = (string | number)[]

export class DocumentProblems {
  readonly list: SpecProblem[] = []
  constructor(readonly doc: LoadedDocument) {}
  /** `key` points the line at the field's key rather than its value (for fields that should go). */
  add(path: Path, message: string, key = false): void {
    this.list.push({
      file: this.doc.file,
      line: this.doc.lineOf(path, { key }),
      path: formatPath(path),
      // A safety net for user text that reaches a message unquoted (a condition, a regex).
      message: escapeUnsafe(message),
    })
  }
}
