/**
 * The traffic of a flag rollout: the share of users who get the new variant, written into the flag
 * as a `fractional` split, and read back from it. The new variant is listed first over a fixed total
 * (10,000: steps of 0.01%), so raising its share only ever adds users to it.
 */
import type { FlagDefinition } from './definition.js'

export const SPLIT_TOTAL = 10_000

export interface FlagSplit {
  /** The variant everyone else gets (and anyone without a targeting key). */
  stableVariant: string
  /** The variant being rolled out, or null when none is. */
  canaryVariant: string | null
  /** Percent of users (0..100) who get the canary variant. */
  canaryPercent: number
}

/** The flag serving `split`: enabled, stable as the default, the canary share as targeting. */
export function withSplit(flag: FlagDefinition, split: FlagSplit): FlagDefinition {
  const { targeting: _old, ...rest } = flag
  const out: FlagDefinition = { ...rest, state: 'ENABLED', defaultVariant: split.stableVariant }
  const canaryWeight = Math.round(split.canaryPercent * (SPLIT_TOTAL / 100))
  if (
    split.canaryVariant !== null &&
    split.canaryVariant !== split.stableVariant &&
    canaryWeight > 0
  )
    out.targeting = {
      fractional: [
        [split.canaryVariant, canaryWeight],
        [split.stableVariant, SPLIT_TOTAL - canaryWeight],
      ],
    }
  return out
}

/** The split a flag serves, if it is one `withSplit` writes; undefined for anything else. */
export function readSplit(flag: FlagDefinition): FlagSplit | undefined {
  if (flag.state !== 'ENABLED' || typeof flag.defaultVariant !== 'string') return undefined
  const stableVariant = flag.defaultVariant
  const t = flag.targeting
  if (t === undefined || t === null || (typeof t === 'object' && Object.keys(t).length === 0))
    return { stableVariant, canaryVariant: null, canaryPercent: 0 }
  if (typeof t !== 'object' || Object.keys(t).length !== 1) return undefined
  const entries = (t as { fractional?: unknown }).fractional
  if (!Array.isArray(entries) || entries.length !== 2) return undefined
  const [canary, stable] = entries as unknown[]
  if (
    !Array.isArray(canary) ||
    !Array.isArray(stable) ||
    canary.length !== 2 ||
    stable.length !== 2
  )
    return undefined
  const [cv, cw] = canary as unknown[]
  const [sv, sw] = stable as unknown[]
  if (
    typeof cv !== 'string' ||
    sv !== stableVariant ||
    typeof cw !== 'number' ||
    typeof sw !== 'number'
  )
    return undefined
  if (cw + sw !== SPLIT_TOTAL || cw < 0 || sw < 0) return undefined
  return { stableVariant, canaryVariant: cv, canaryPercent: cw / (SPLIT_TOTAL / 100) }
}
