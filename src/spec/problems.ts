/** A problem found in a manifest: where (file, line, path) and what. */
export interface SpecProblem {
  file: string
  line: number
  /** Dotted path with indexes, e.g. `spec.strategy.canary.steps[2].setWeight`. */
  path: string
  message: string
}

export function formatProblem(p: SpecProblem): string {
  return `${p.file}:${p.line} ${p.path === '' ? '' : `${p.path}: `}${p.message}`
}

export function formatPath(path: (string | number)[]): string {
  let out = ''
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`
  return out
}
