/**
 * Reading a flag file (flagd's JSON format, or the same in YAML): every problem with its file, line
 * and path. The daemon's watched sources and `kanari flags lint` read files here.
 */
import { loadDocuments } from '../spec/load.js'
import { checkFlagDocument, pathSegments, type FlagDocument } from '../flags/index.js'

export interface FlagFileProblem {
  file: string
  line: number
  path: string
  message: string
  severity: 'error' | 'warning'
}

export interface LoadedFlagFile {
  /** The document, when no problem is an error. */
  document?: FlagDocument
  problems: FlagFileProblem[]
}

export function formatFlagProblem(p: FlagFileProblem): string {
  return `${p.file}:${p.line} ${p.severity === 'warning' ? 'warning: ' : ''}${p.path === '' ? '' : `${p.path}: `}${p.message}`
}

/** Parses and checks the text of one flag file. */
export function loadFlagFile(text: string, file: string): LoadedFlagFile {
  const loaded = loadDocuments(text, file)
  const problems: FlagFileProblem[] = loaded.problems.map((p) => ({ ...p, severity: 'error' }))
  if (problems.length > 0) return { problems }
  if (loaded.documents.length !== 1) {
    problems.push({
      file,
      line: 1,
      path: '',
      message:
        loaded.documents.length === 0
          ? 'has no flag document'
          : `has ${loaded.documents.length} documents; a flag file holds one`,
      severity: 'error',
    })
    return { problems }
  }
  const doc = loaded.documents[0] as (typeof loaded.documents)[number]
  const checked = checkFlagDocument(doc.value)
  for (const p of checked.problems)
    problems.push({
      file,
      line: doc.lineOf(pathSegments(p.path)),
      path: p.path,
      message: p.message,
      severity: p.severity,
    })
  return checked.document === undefined ? { problems } : { document: checked.document, problems }
}
