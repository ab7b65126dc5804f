/**
 * One flag made ready to evaluate (its answers built once, its targeting compiled), and a cache that
 * keeps compiled flags from one flag set to the next so a reload compiles only what changed.
 */
import {
  flagType,
  hasTargeting,
  resolveRefs,
  type FlagDefinition,
  type FlagDocument,
  type FlagType,
  type FlagValue,
} from './definition.js'
import type { Reason, Resolution } from './flag-set.js'
import { compileLogic, type Logic } from './json-logic.js'
import { canonicalJson } from './ofrep.js'
import { FLAGD_OPERATIONS } from './operations.js'

export interface CompiledFlag {
  readonly key: string
  readonly definition: FlagDefinition
  readonly type: FlagType
  readonly disabled: Resolution
  /** No targeting, or targeting that answered null. */
  readonly fallback: Resolution
  /** TARGETING_MATCH results by variant. */
  readonly matches: ReadonlyMap<string, Resolution>
  /** The compiled targeting, or the reason it cannot run. */
  readonly targeting?: Logic
  readonly targetingProblem?: string
  /** Whether the rule reads `$flagd` (fractional gets the flag key without it). */
  readonly readsFlagd: boolean
}

export const freeze = <T extends object>(o: T): T => Object.freeze(o)

export function compileFlag(key: string, flag: FlagDefinition, doc: FlagDocument): CompiledFlag {
  const metadata = freeze({ ...(doc.metadata ?? {}), ...(flag.metadata ?? {}) })
  const dv = flag.defaultVariant ?? undefined
  const fallbackOf = (reason: Reason): Resolution =>
    dv === undefined || !Object.hasOwn(flag.variants, dv)
      ? freeze({ key, reason: 'DEFAULT', metadata })
      : freeze({ key, reason, value: flag.variants[dv] as FlagValue, variant: dv, metadata })
  const matches = new Map<string, Resolution>()
  for (const [variant, value] of Object.entries(flag.variants))
    matches.set(variant, freeze({ key, reason: 'TARGETING_MATCH', value, variant, metadata }))
  const base = {
    key,
    definition: flag,
    type: flagType(flag),
    disabled: freeze<Resolution>({ key, reason: 'DISABLED', metadata }),
    matches,
    readsFlagd: false,
  }
  if (!hasTargeting(flag.targeting)) return { ...base, fallback: fallbackOf('STATIC') }
  const rule = resolveRefs(flag.targeting, doc.$evaluators ?? {})
  try {
    return {
      ...base,
      fallback: fallbackOf('DEFAULT'),
      targeting: compileLogic(rule, { operations: FLAGD_OPERATIONS }),
      readsFlagd: JSON.stringify(rule).includes('$flagd'),
    }
  } catch (err) {
    return {
      ...base,
      fallback: fallbackOf('DEFAULT'),
      targetingProblem: `targeting of flag ${key} cannot be evaluated: ${err instanceof Error ? err.message : String(err)}`,
    }
  }
}

/**
 * Compiled flags by definition object: a flag set built from the same definition object (same key,
 * same set metadata, no `$evaluators`) reuses its compiled form. Callers keep unchanged definitions
 * as the same objects, and may compile changed ones ahead (a few at a time) before building the set.
 */
export class FlagCompiler {
  readonly #cache = new WeakMap<
    FlagDefinition,
    { key: string; metadata: string; compiled: CompiledFlag }
  >()

  /** The text that identifies a document's metadata (pass it to `compile` for many flags). */
  static metadataText(doc: Pick<FlagDocument, 'metadata'>): string {
    return doc.metadata === undefined ? '' : canonicalJson(doc.metadata)
  }

  compile(
    key: string,
    flag: FlagDefinition,
    doc: FlagDocument,
    metadata = FlagCompiler.metadataText(doc),
  ): CompiledFlag {
    if (doc.$evaluators !== undefined) return compileFlag(key, flag, doc)
    const hit = this.#cache.get(flag)
    if (hit !== undefined && hit.key === key && hit.metadata === metadata) return hit.compiled
    const compiled = compileFlag(key, flag, doc)
    this.#cache.set(flag, { key, metadata, compiled })
    return compiled
  }
}
