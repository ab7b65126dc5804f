/**
 * Reading a flag file (flagd's JSON format, or the same in YAML): every problem with its file, line
 * and path. `.json` files are strict JSON, as flagd reads them; others are YAML. The daemon's
 * watched sources and `kanari flags lint` read files here, so both say the same.
 */
import { loadDocuments } from '../spec/load.js'
import { checkFlagDocument, MAX_NESTING, pathSegments, type FlagDocument } from '../flags/index.js'
import { jsonLines } from './json-lines.js'

export interface FlagFileProblem {
  file: string
  line: number
  /** 1-based, when the problem is at a character (a syntax error) rather than a value. */
  column?: number
  path: string
  message: string
  severity: 'error' | 'warning'
}

export interface LoadedFlagFile {
  /** The document, when no problem is an error. */
  document?: FlagDocument
  problems: FlagFileProblem[]
  /**
   * The YAML nests within the limit but deeper than this thread's stack can read (the main thread's
   * is about 1 MB): read it again on a thread with a larger stack (flag-file-thread.ts).
   */
  outOfStack?: true
}

export function formatFlagProblem(p: FlagFileProblem): string {
  const at = `${p.file}:${p.line}${p.column === undefined ? '' : `:${p.column}`}`
  return `${at} ${p.severity === 'warning' ? 'warning: ' : ''}${p.path === '' ? '' : `${p.path}: `}${p.message}`
}

/** Parses and checks the text of one flag file: strict JSON when its name ends in `.json`, else YAML. */
export function loadFlagFile(text: string, file: string): LoadedFlagFile {
  return file.toLowerCase().endsWith('.json')
    ? loadJsonFlagFile(text, file)
    : loadYamlFlagFile(text, file)
}

/**
 * Collections a YAML flag file may nest: a flag (or an evaluator) sits two levels below the root, and
 * may nest MAX_NESTING levels itself, as in a `.json` file; the flag's own check names what is too deep.
 */
const YAML_FLAG_DEPTH = MAX_NESTING + 2

function loadYamlFlagFile(text: string, file: string): LoadedFlagFile {
  const loaded = loadDocuments(text, file, {
    maxDepth: YAML_FLAG_DEPTH,
    tooDeep: `YAML: nested more than ${MAX_NESTING} levels deep below a flag, more than Kanari evaluates (the same limit as a .json flag file); is a bracket or an indent out of place?`,
  })
  const problems: FlagFileProblem[] = loaded.problems.map((p) => ({ ...p, severity: 'error' }))
  if (loaded.outOfStack) return { problems, outOfStack: true }
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
  return checked(doc.value, file, (path) => doc.lineOf(path))
}

/** Parses a `.json` flag file strictly: a trailing comma or a comment is an error, as in flagd. */
function loadJsonFlagFile(text: string, file: string): LoadedFlagFile {
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
    return {
      problems: [
        {
          file,
          line,
          column,
          path: '',
          message: `JSON syntax: ${message.replace(/ in JSON at position \d+.*$/, '')} (a .json flag file is strict JSON: no trailing commas or comments; name it .yaml for YAML)`,
          severity: 'error',
        },
      ],
    }
  }
  let lineOf: ((path: (string | number)[]) => number) | undefined
  return checked(value, file, (path) => (lineOf ??= jsonLines(text))(path))
}

/** The flag checks of a parsed document, each problem at its line. */
function checked(
  value: unknown,
  file: string,
  lineOf: (path: (string | number)[]) => number,
): LoadedFlagFile {
  const result = checkFlagDocument(value)
  const problems = result.problems.map((p): FlagFileProblem => ({
    file,
    line: lineOf(pathSegments(p.path)),
    path: p.path,
    message: p.message,
    severity: p.severity,
  }))
  return result.document === undefined ? { problems } : { document: result.document, problems }
}
