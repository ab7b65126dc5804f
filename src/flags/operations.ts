/**
 * flagd's custom JsonLogic operations: `fractional` (deterministic percentage split, bit-exact with
 * flagd's Go code), `sem_ver`, `starts_with` and `ends_with`. Each gets its arguments evaluated; a
 * wrong argument makes the operation answer null (the flag's default variant), as in flagd.
 */
import type { CustomOperation } from './json-logic.js'
import { bucketOf, murmur3 } from './murmur3.js'
import { semverMatches, versionOf } from './semver.js'

/** The largest weight, and sum of weights, `fractional` accepts (Go's MaxInt32). */
export const MAX_TOTAL_WEIGHT = 2_147_483_647

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/** The variant a hash lands on among weighted entries, or null when the weights are unusable. */
export function pickWeighted(hash: number, entries: unknown[]): unknown {
  const variants: unknown[] = []
  const weights: number[] = []
  let total = 0
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length === 0) return null
    const variant: unknown = entry[0]
    if (variant !== null && !['string', 'boolean', 'number'].includes(typeof variant)) return null
    let weight = 1
    if (entry.length >= 2 && entry[1] !== null) {
      const w: unknown = entry[1]
      if (typeof w !== 'number' || !Number.isInteger(w) || w > MAX_TOTAL_WEIGHT) return null
      weight = Math.max(0, w)
    }
    total += weight
    variants.push(variant)
    weights.push(weight)
  }
  if (total > MAX_TOTAL_WEIGHT || total === 0) return null
  const bucket = bucketOf(hash, total)
  let end = 0
  for (let i = 0; i < weights.length; i++) {
    end += weights[i] as number
    if (bucket < end) return variants[i]
  }
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
    const flagKey = record(context.$flagd)?.flagKey
    bucketBy = `${typeof flagKey === 'string' ? flagKey : ''}${targetingKey}`
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
