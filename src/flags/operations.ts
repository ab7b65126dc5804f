/**
 * flagd's custom JsonLogic operations: `fractional` (deterministic percentage split, bit-exact with
 * flagd's Go code), `sem_ver`, `starts_with` and `ends_with`. Each gets its arguments evaluated; a
 * wrong argument makes the operation answer null (the flag's default variant), as in flagd.
 */
import type { CustomOperation } from './json-logic.js'
import { bucketOf, murmur3 } from './murmur3.js'
import { semverMatches, versionOf } from './semver.js'

/**
 * The flag being evaluated (flagd's `$flagd.flagKey`, which no caller can override): set by the
 * evaluator before it runs a flag's targeting, so `fractional` needs no copy of the context.
 */
export const evaluating = { flagKey: '' }

/** The largest weight, and sum of weights, `fractional` accepts (Go's MaxInt32). */
export const MAX_TOTAL_WEIGHT = 2_147_483_647

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

interface Distribution {
  variants: unknown[]
  /** Running ends of the weights. */
  ends: number[]
  total: number
}

/** Entries as flagd reads them; null when flagd would refuse them (the operation answers null). */
function distribution(entries: unknown[]): Distribution | null {
  const variants: unknown[] = []
  const ends: number[] = []
  let total = 0
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length === 0) return null
    const variant: unknown = entry[0]
    const t = typeof variant
    if (variant !== null && t !== 'string' && t !== 'boolean' && t !== 'number') return null
    let weight = 1
    if (entry.length >= 2 && entry[1] !== null) {
      const w: unknown = entry[1]
      if (typeof w !== 'number' || !Number.isInteger(w) || w > MAX_TOTAL_WEIGHT) return null
      weight = Math.max(0, w)
    }
    total += weight
    variants.push(variant)
    ends.push(total)
  }
  if (total > MAX_TOTAL_WEIGHT || total === 0) return null
  return { variants, ends, total }
}

/**
 * Distributions read before, by their first entry: constant entries are the same arrays at every
 * evaluation (the compiler builds them once), so they are read once; computed ones are new each time.
 */
const seen = new WeakMap<object, { entries: unknown[]; d: Distribution | null }>()

function cachedDistribution(entries: unknown[]): Distribution | null {
  const first = entries[0]
  if (typeof first !== 'object' || first === null) return distribution(entries)
  const hit = seen.get(first)
  if (
    hit !== undefined &&
    hit.entries.length === entries.length &&
    hit.entries.every((e, i) => e === entries[i])
  )
    return hit.d
  const d = distribution(entries)
  seen.set(first, { entries: [...entries], d })
  return d
}

/** The variant a hash lands on among weighted entries, or null when the weights are unusable. */
export function pickWeighted(hash: number, entries: unknown[]): unknown {
  const d = cachedDistribution(entries)
  if (d === null) return null
  const bucket = bucketOf(hash, d.total)
  for (let i = 0; i < d.ends.length; i++) if (bucket < (d.ends[i] as number)) return d.variants[i]
  return null
}

/**
 * `{"fractional": [bucketBy?, [variant, weight?], …]}`. The bucketing value is the first argument
 * when it is a string; otherwise flag key + targeting key (no targeting key: null).
 */
export const fractional: CustomOperation = (args, data) => {
  if (args.length === 0) return null
  const context = record(data) ?? {}
  let entries = args
  let bucketBy: string
  if (typeof args[0] === 'string') {
    bucketBy = args[0]
    entries = args.slice(1)
  } else {
    if (args[0] === null) entries = args.slice(1)
    const targetingKey = context.targetingKey
    if (targetingKey === undefined || targetingKey === null || targetingKey === '') return null
    if (typeof targetingKey !== 'string') return null
    bucketBy = evaluating.flagKey + targetingKey
  }
  return pickWeighted(murmur3(bucketBy), entries)
}

/** `{"sem_ver": [version, operator, version]}`: true, false, or null for bad input. */
export const semVer: CustomOperation = (args) => {
  if (args.length !== 3) return null
  const a = versionOf(args[0])
  const b = versionOf(args[2])
  const op = args[1]
  if (a === undefined || b === undefined || typeof op !== 'string') return null
  return semverMatches(a, op, b) ?? null
}

const strings = (args: unknown[]): [string, string] | undefined =>
  args.length === 2 && typeof args[0] === 'string' && typeof args[1] === 'string'
    ? [args[0], args[1]]
    : undefined

export const startsWith: CustomOperation = (args) => {
  const s = strings(args)
  return s === undefined ? null : s[0].startsWith(s[1])
}

export const endsWith: CustomOperation = (args) => {
  const s = strings(args)
  return s === undefined ? null : s[0].endsWith(s[1])
}

/** The operations flagd adds to JsonLogic, by name. */
export const FLAGD_OPERATIONS: Readonly<Record<string, CustomOperation>> = {
  fractional,
  sem_ver: semVer,
  starts_with: startsWith,
  ends_with: endsWith,
}
