/**
 * Keys of YAML mappings as manifests need them: plain values, each once per mapping as the text they
 * become (1 and "1" are one key). Checked in one pass: yaml's own check is quadratic in the keys.
 */
import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml'
import { quote } from './shown-value.js'

export interface KeyProblem {
  path: (string | number)[]
  line: number
  message: string
}

/** `lineAt` turns an offset in the text into its 1-based line. */
export function checkKeys(root: unknown, lineAt: (offset: number) => number): KeyProblem[] {
  const problems: KeyProblem[] = []
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i]))
    // A pair alone in a flow sequence (`[a: 1]`) becomes a mapping with one key.
    const pairs = isMap(node) ? node.items : isPair(node) ? [node] : []
    const start = isMap(node) ? (node.range?.[0] ?? 0) : 0
    const seen = new Map<string, number>()
    for (const pair of pairs) {
      const keyNode = pair.key as Node | null
      const line = lineAt(keyNode?.range?.[0] ?? start)
      if (keyNode !== null && !isScalar(keyNode)) {
        problems.push({
          path,
          line,
          message: 'YAML: a key must be a plain value, not a list or a mapping',
        })
        continue
      }
      const key = keyText(keyNode?.value)
      const first = seen.get(key)
      if (first !== undefined) {
        problems.push({
          path: [...path, key],
          line,
          message: `YAML: the key ${quote(key)} is given twice in this mapping (first at line ${first}); keep one`,
        })
        continue
      }
      seen.set(key, line)
      walk(pair.value, [...path, key])
    }
  }
  walk(root, [])
  return problems
}

/** The text a scalar key becomes in the document's data (yaml's toJS makes null ''). */
function keyText(value: unknown): string {
  return typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    typeof value === 'bigint'
    ? String(value)
    : ''
}
