/** A problem found in a manifest: where (file, line, path) and what. */
import { quote } from './shown-value.js'

export interface SpecProblem {
  file: string
  line: number
  /** Dotted path with indexes, e.g. `spec.strategy.canary.steps[2].setWeight`; empty for a whole document. */
  path: string
  message: string
}

export function formatProblem(p: SpecProblem): string {
  return `${p.file}:${p.line} ${p.path === '' ? '' : `${p.path}: `}${p.message}`
}

// A key that reads unambiguously after a dot; any other (dots, spaces, controls, empty, very long)
// is quoted, and cut short.
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,79}$/

export function formatPath(path: (string | number)[]): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (!PLAIN_KEY.test(seg)) out += `[${quote(seg)}]`
    else out += out === '' ? seg : `.${seg}`
  }
  return out
}
