/**
 * Label and field selectors as the API server reads them from a query: `a=b`, `a==b`, `a!=b`, `a`,
 * `!a`, `a in (x,y)`, `a notin (x,y)`, comma-separated (all must hold); fields: `metadata.name` and
 * `metadata.namespace` with `=`, `==`, `!=`.
 */
import type { KubeObject } from '../types.js'

type Requirement = (labels: Record<string, string>) => boolean

function parse(selector: string): Requirement[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const ch of selector) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(current)
      current = ''
    } else current += ch
  }
  parts.push(current)
  return parts
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p): Requirement => {
      const set = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p)
      if (set !== null) {
        const [, key = '', op, values = ''] = set
        const allowed = new Set(values.split(',').map((v) => v.trim()))
        return op === 'in'
          ? (l) => l[key] !== undefined && allowed.has(l[key])
          : (l) => l[key] === undefined || !allowed.has(l[key])
      }
      const cmp = /^([^\s!=]+)\s*(!=|==|=)\s*(\S*)$/.exec(p)
      if (cmp !== null) {
        const [, key = '', op, value] = cmp
        return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value
      }
      if (p.startsWith('!')) return (l) => l[p.slice(1).trim()] === undefined
      return (l) => l[p] !== undefined
    })
}

export function matchesLabels(object: KubeObject, selector: string | undefined): boolean {
  if (selector === undefined || selector === '') return true
  const labels = object.metadata.labels ?? {}
  return parse(selector).every((r) => r(labels))
}

export function matchesFields(object: KubeObject, selector: string | undefined): boolean {
  if (selector === undefined || selector === '') return true
  const fields: Record<string, string> = {
    'metadata.name': object.metadata.name,
    'metadata.namespace': object.metadata.namespace ?? '',
  }
  return parse(selector).every((r) => r(fields))
}
