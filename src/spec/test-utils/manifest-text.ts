/**
 * Manifest sets written out as YAML text for property tests: with text spliced in (which may break
 * it), or in another style that must mean the same (YAML style, key order, comments, durations).
 */
import fc from 'fast-check'
import { stringify } from 'yaml'
import type { ManifestSet } from './manifest-mutations.js'

/** A change to a file's text after the documents are written out: spliced in at a position. */
export interface TextSplice {
  file: number
  /** Position in the text, as a fraction of its length (0..1) so it shrinks towards the start. */
  where: number
  text: string
}

export const textSpliceArb: fc.Arbitrary<TextSplice> = fc.record({
  file: fc.nat({ max: 3 }),
  where: fc.double({ min: 0, max: 1, noNaN: true }),
  text: fc.oneof(
    fc.constantFrom('\n', ':', '- ', '[', '{', '"', "'", '\t', '&a ', '*a', '---\n', '!!binary '),
    fc.string({ unit: 'binary', maxLength: 6 }),
  ),
})

/** The set written out as YAML files, then spliced; a file name may be repeated across a set. */
export function writeSet(
  set: ManifestSet,
  splices: readonly TextSplice[] = [],
): { name: string; text: string }[] {
  const files = set.map((f) => ({
    name: f.name,
    text: f.docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'),
  }))
  for (const s of splices) {
    const file = files[s.file % Math.max(1, files.length)]
    if (file === undefined) continue
    const pos = Math.floor(s.where * file.text.length)
    file.text = file.text.slice(0, pos) + s.text + file.text.slice(pos)
  }
  return files
}

/** Changes that keep a manifest's meaning: YAML style, key order, comments, duration spellings. */
export interface Restyle {
  collectionStyle: 'block' | 'flow' | 'any'
  stringType: 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE'
  indent: number
  /** Seed of the key order of every mapping (0 keeps the order written). */
  order: number
  /** Seed of the way each duration is spelt: "30s", 30 or "0.5m". */
  durations: number
  /** Lines after which a comment line goes (block style only). */
  comments: number[]
}

export const restyleArb: fc.Arbitrary<Restyle> = fc.record({
  collectionStyle: fc.constantFrom('block' as const, 'flow' as const, 'any' as const),
  stringType: fc.constantFrom('PLAIN' as const, 'QUOTE_DOUBLE' as const, 'QUOTE_SINGLE' as const),
  indent: fc.integer({ min: 1, max: 6 }),
  order: fc.nat(),
  durations: fc.nat(),
  comments: fc.array(fc.nat(), { maxLength: 5 }),
})

const DURATION_KEYS = new Set(['interval', 'duration', 'timeout', 'initialDelay'])

/** Spells a duration of whole seconds another way that means the same. */
function respell(value: unknown, seed: number): unknown {
  const secs = typeof value === 'number' ? value : /^(\d+)s$/.exec(String(value))?.[1]
  if (secs === undefined) {
    const minutes = /^(\d+)m$/.exec(String(value))?.[1]
    return minutes === undefined ? value : respell(Number(minutes) * 60, seed)
  }
  const n = Number(secs)
  const ways = [n, `${n}s`, ...(n % 60 === 0 ? [`${n / 60}m`] : []), `${n * 1000}ms`]
  return ways[seed % ways.length]
}

function reorder(value: unknown, r: Restyle, key = ''): unknown {
  let seed = r.order
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed
  }
  const walk = (v: unknown, k: string): unknown => {
    if (Array.isArray(v)) return v.map((item) => walk(item, ''))
    if (v === null || typeof v !== 'object') {
      return DURATION_KEYS.has(k) && (typeof v === 'number' || typeof v === 'string')
        ? respell(v, r.durations + next())
        : v
    }
    const entries = Object.entries(v).map(([ek, ev]) => [ek, walk(ev, ek)] as const)
    if (r.order !== 0)
      for (let i = entries.length - 1; i > 0; i--) {
        const j = next() % (i + 1)
        const a = entries[i]
        const b = entries[j]
        if (a !== undefined && b !== undefined) {
          entries[i] = b
          entries[j] = a
        }
      }
    return Object.fromEntries(entries)
  }
  return walk(value, key)
}

/** The set written out in another style that must mean the same. */
export function writeRestyled(set: ManifestSet, r: Restyle): { name: string; text: string }[] {
  return set.map((f) => {
    let text = f.docs
      .map((d) =>
        stringify(reorder(d, r), {
          lineWidth: 0,
          collectionStyle: r.collectionStyle,
          defaultStringType: r.stringType,
          defaultKeyType: 'PLAIN',
          indent: r.indent,
        }),
      )
      .join('---\n')
    if (r.collectionStyle === 'block') {
      const lines = text.split('\n')
      for (const c of r.comments) lines.splice(c % (lines.length + 1), 0, '# a comment')
      text = lines.join('\n')
    }
    return { name: f.name, text }
  })
}
