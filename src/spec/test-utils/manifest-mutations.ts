/**
 * Mutations of manifest sets for property tests: fields dropped, retyped, renamed, wrapped, blown up
 * or garbled, documents and items duplicated. Each is a plain record that fast-check shrinks, and
 * that reads as data when a property fails. How a set is written out as text (spliced, restyled) is
 * in ./manifest-text.ts.
 */
import fc from 'fast-check'
import { NASTY_STRINGS, valueArb } from './nasty-values.js'

/** A set of manifest files, each a list of documents as plain data. */
export type ManifestSet = { name: string; docs: unknown[] }[]

type Path = (string | number)[]

export type Mutation =
  /** Removes a field, a list item or a whole document. */
  | { op: 'drop'; at: number }
  /** Replaces a value with one of any type. */
  | { op: 'retype'; at: number; value: unknown }
  /** Replaces a string with another string, a number with another number: the shape still fits. */
  | { op: 'reword'; at: number; text: string; number: number }
  /** Turns a value into another type while keeping what it says: 30 ↔ "30", true ↔ "true". */
  | { op: 'convert'; at: number; to: 'string' | 'number' | 'boolean' | 'list' | 'map' }
  /** Renames a field: a typo, another case, another known field name. */
  | { op: 'rename'; at: number; how: 'typo' | 'upper' | 'lower' | 'append' | 'nasty'; seed: number }
  /** Nests a value one level too deep. */
  | { op: 'wrap'; at: number; in: 'list' | 'map'; key: string }
  /** Replaces a value with something huge. */
  | { op: 'huge'; at: number; what: 'string' | 'list' | 'map' | 'deep'; size: number }
  /** Puts unicode or control characters in a value or a key. */
  | { op: 'unicode'; at: number; text: string; inKey: boolean }
  /** Duplicates a list item or a document, next to itself. */
  | { op: 'duplicate'; at: number }

const at = fc.nat()

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('drop' as const), at }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('retype' as const), at, value: valueArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('reword' as const),
      at,
      text: fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ maxLength: 12 })),
      number: fc.oneof(
        fc.integer({ min: -2, max: 120 }),
        fc.constantFrom(0, 1, 1000, 65535, Number.MAX_SAFE_INTEGER, 1e308, 0.5),
      ),
    }),
  },
  fc.record({
    op: fc.constant('convert' as const),
    at,
    to: fc.constantFrom(
      'string' as const,
      'number' as const,
      'boolean' as const,
      'list' as const,
      'map' as const,
    ),
  }),
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('rename' as const),
      at,
      how: fc.constantFrom(
        'typo' as const,
        'upper' as const,
        'lower' as const,
        'append' as const,
        'nasty' as const,
      ),
      seed: fc.nat(),
    }),
  },
  fc.record({
    op: fc.constant('wrap' as const),
    at,
    in: fc.constantFrom('list' as const, 'map' as const),
    key: fc.constantFrom('value', 'name', 'spec', 'items', ''),
  }),
  fc.record({
    op: fc.constant('huge' as const),
    at,
    what: fc.constantFrom('string' as const, 'list' as const, 'map' as const, 'deep' as const),
    size: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    op: fc.constant('unicode' as const),
    at,
    text: fc.oneof(
      fc.constantFrom(...NASTY_STRINGS),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
    ),
    inKey: fc.boolean(),
  }),
  fc.record({ op: fc.constant('duplicate' as const), at }),
)

/** Every path in the set that points inside a document (the document itself included). */
function pathsOf(set: ManifestSet): Path[] {
  const out: Path[] = []
  const walk = (v: unknown, path: Path): void => {
    out.push(path)
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]))
    else if (v !== null && typeof v === 'object')
      for (const [k, item] of Object.entries(v)) walk(item, [...path, k])
  }
  set.forEach((file, f) => file.docs.forEach((doc, d) => walk(doc, [f, 'docs', d])))
  return out
}

/** The container of `path` and the last key, so the value can be read, replaced or removed. */
function locate(
  set: ManifestSet,
  path: Path,
): { parent: Record<string | number, unknown> | unknown[]; key: string | number } {
  let parent: unknown = set
  for (const seg of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[seg]
  return {
    parent: parent as Record<string | number, unknown>,
    key: path[path.length - 1] ?? 0,
  }
}

function hugeValue(what: 'string' | 'list' | 'map' | 'deep', size: number): unknown {
  // Large enough to show a quadratic step (seconds instead of milliseconds), small enough to run often.
  const n = [100, 500, 2_000][size - 1] ?? 100
  if (what === 'string') return 'x'.repeat(n * 10)
  if (what === 'list') return Array.from({ length: n }, (_, i) => ({ i }))
  if (what === 'map') return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))
  let deep: unknown = 'bottom'
  for (let i = 0; i < Math.min(n, 300); i++) deep = i % 2 === 0 ? [deep] : { d: deep }
  return deep
}

function renamed(
  key: string,
  how: Extract<Mutation, { op: 'rename' }>['how'],
  seed: number,
): string {
  if (how === 'upper') return key.toUpperCase() === key ? `${key}X` : key.toUpperCase()
  if (how === 'lower') return key.toLowerCase() === key ? `_${key}` : key.toLowerCase()
  if (how === 'append') return `${key}s`
  if (how === 'nasty') return NASTY_STRINGS[seed % NASTY_STRINGS.length] ?? ''
  // typo: swap two neighbouring letters, or drop one
  const i = seed % Math.max(1, key.length)
  if (key.length < 2) return `${key}${key}`
  if (seed % 2 === 0) return key.slice(0, i) + key.slice(i + 1)
  const j = Math.min(i + 1, key.length - 1)
  const k = Math.max(0, j - 1)
  return key.slice(0, k) + (key[j] ?? '') + (key[k] ?? '') + key.slice(j + 1)
}

function converted(value: unknown, to: Extract<Mutation, { op: 'convert' }>['to']): unknown {
  if (to === 'string') return typeof value === 'string' ? value : JSON.stringify(value)
  if (to === 'number') return Number(value)
  if (to === 'boolean') return Boolean(value)
  if (to === 'list') return Array.isArray(value) ? value : [value]
  return value !== null && typeof value === 'object' ? value : { value }
}

/** Applies one mutation to a copy of the set; `at` picks the node, modulo the number of nodes. */
export function mutate(set: ManifestSet, m: Mutation): ManifestSet {
  const out = structuredClone(set)
  const paths = pathsOf(out)
  const path = paths[m.at % paths.length]
  if (path === undefined) return out
  const { parent, key } = locate(out, path)
  const value = (parent as Record<string | number, unknown>)[key]
  const replace = (v: unknown): void => {
    ;(parent as Record<string | number, unknown>)[key] = v
  }
  const inList = Array.isArray(parent) && typeof key === 'number'
  switch (m.op) {
    case 'drop':
      if (inList) parent.splice(key, 1)
      else Reflect.deleteProperty(parent, key)
      break
    case 'retype':
      replace(m.value)
      break
    case 'reword':
      if (typeof value === 'string') replace(m.text)
      else if (typeof value === 'number') replace(m.number)
      else if (typeof value === 'boolean') replace(!value)
      break
    case 'convert':
      replace(converted(value, m.to))
      break
    case 'wrap':
      replace(m.in === 'list' ? [value] : { [m.key]: value })
      break
    case 'huge':
      replace(hugeValue(m.what, m.size))
      break
    case 'duplicate':
      if (inList) parent.splice(key, 0, structuredClone(value))
      break
    case 'rename':
    case 'unicode': {
      if (inList || typeof key !== 'string') {
        if (m.op === 'unicode') replace(typeof value === 'string' ? `${value}${m.text}` : m.text)
        break
      }
      const record = parent as Record<string, unknown>
      if (m.op === 'unicode' && !m.inKey) {
        replace(typeof value === 'string' ? `${value}${m.text}` : m.text)
        break
      }
      const newKey = m.op === 'rename' ? renamed(key, m.how, m.seed) : `${key}${m.text}`
      Reflect.deleteProperty(record, key)
      // defineProperty: a key such as __proto__ becomes a field, as YAML makes it one.
      Object.defineProperty(record, newKey, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      })
      break
    }
  }
  return out
}
