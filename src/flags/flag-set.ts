/**
 * Evaluation of a flag document, as flagd does it: compiled once, then each evaluation is a map
 * lookup, the state, and the targeting rule run against the context plus `$flagd.flagKey` and
 * `$flagd.timestamp`. Results carry flagd's reasons and error codes; no I/O, no clock (callers pass
 * the time).
 */
import { FlagCompiler, freeze, type CompiledFlag } from './compiled-flag.js'
import type {
  FlagDefinition,
  FlagDocument,
  FlagMetadata,
  FlagType,
  FlagValue,
} from './definition.js'
import { evaluating } from './operations.js'

/** The reasons flagd gives (SPLIT and UNKNOWN exist in the vocabulary but flagd never sends them). */
export const REASONS = [
  'STATIC',
  'DEFAULT',
  'TARGETING_MATCH',
  'DISABLED',
  'ERROR',
  'SPLIT',
  'UNKNOWN',
] as const
export type Reason = (typeof REASONS)[number]

export const ERROR_CODES = [
  'FLAG_NOT_FOUND',
  'PARSE_ERROR',
  'TYPE_MISMATCH',
  'GENERAL',
  'INVALID_CONTEXT',
  'TARGETING_KEY_MISSING',
  'PROVIDER_NOT_READY',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export type EvaluationContext = Readonly<Record<string, unknown>>

/**
 * One evaluation. `value` and `variant` are absent when the caller's default applies: a disabled
 * flag, a flag without a default variant, or an error.
 */
export interface Resolution {
  readonly key: string
  readonly reason: Reason
  readonly value?: FlagValue
  readonly variant?: string
  readonly errorCode?: ErrorCode
  readonly errorMessage?: string
  readonly metadata: Readonly<FlagMetadata>
}

function errorResolution(
  key: string,
  code: ErrorCode,
  message: string,
  metadata: FlagMetadata,
): Resolution {
  return freeze({ key, reason: 'ERROR', errorCode: code, errorMessage: message, metadata })
}

/** Variant name of a targeting result, as flagd reads it: strings as they are, true/false/numbers as text. */
function variantName(result: unknown): string | undefined {
  if (typeof result === 'string') return result
  if (typeof result === 'boolean' || typeof result === 'number') return String(result)
  return undefined
}

/** The type a caller asks for; `integer` reads number variants and drops the fraction (as flagd). */
export type RequestedType = FlagType | 'integer'

export class FlagSet {
  readonly #flags = new Map<string, CompiledFlag>()
  readonly metadata: Readonly<FlagMetadata>

  /** With `compiler`, flags it has compiled already (the same definition objects) are not compiled again. */
  constructor(
    readonly document: FlagDocument,
    compiler: FlagCompiler = new FlagCompiler(),
  ) {
    this.metadata = freeze({ ...(document.metadata ?? {}) })
    const metadata = FlagCompiler.metadataText(document)
    for (const [key, flag] of Object.entries(document.flags))
      this.#flags.set(key, compiler.compile(key, flag, document, metadata))
  }

  /** The flag keys, in document order. */
  keys(): string[] {
    return [...this.#flags.keys()]
  }

  has(key: string): boolean {
    return this.#flags.has(key)
  }

  /** A flag's definition as written, or undefined. */
  definition(key: string): FlagDefinition | undefined {
    return this.#flags.get(key)?.definition
  }

  /** A flag's type (that of its variants), or undefined. */
  typeOf(key: string): FlagType | undefined {
    return this.#flags.get(key)?.type
  }

  /** Evaluates `key` for `context` at `nowMs` (for `$flagd.timestamp`). */
  evaluate(key: string, context: EvaluationContext, nowMs: number): Resolution {
    const flag = this.#flags.get(key)
    if (flag === undefined)
      return errorResolution(key, 'FLAG_NOT_FOUND', `flag \`${key}\` does not exist`, this.metadata)
    if (flag.definition.state === 'DISABLED') return flag.disabled
    if (flag.targetingProblem !== undefined)
      return errorResolution(key, 'PARSE_ERROR', flag.targetingProblem, flag.fallback.metadata)
    if (flag.targeting === undefined) return flag.fallback
    const data = flag.readsFlagd
      ? { ...context, $flagd: { flagKey: key, timestamp: Math.floor(nowMs / 1000) } }
      : context
    let result: unknown
    try {
      evaluating.flagKey = key
      result = flag.targeting(data)
    } catch (err) {
      return errorResolution(
        key,
        'PARSE_ERROR',
        `targeting of flag ${key} failed: ${err instanceof Error ? err.message : String(err)}`,
        flag.fallback.metadata,
      )
    }
    if (result === null || result === undefined) return flag.fallback
    const name = variantName(result)
    const match = name === undefined ? undefined : flag.matches.get(name)
    if (match !== undefined) return match
    return errorResolution(
      key,
      'GENERAL',
      `targeting of flag ${key} answered ${JSON.stringify(result)}, which names no variant`,
      flag.fallback.metadata,
    )
  }

  /** Every flag for one context (disabled and code-default flags included, as the OFREP bulk answer lists them). */
  evaluateAll(context: EvaluationContext, nowMs: number): Resolution[] {
    return this.keys().map((key) => this.evaluate(key, context, nowMs))
  }

  /** Evaluates and checks the value's type: TYPE_MISMATCH when it is not what the caller asked for. */
  resolve(key: string, type: RequestedType, context: EvaluationContext, nowMs: number): Resolution {
    const r = this.evaluate(key, context, nowMs)
    if (r.value === undefined) return r
    const actual = valueTypeOf(r.value)
    const want = type === 'integer' ? 'number' : type
    if (actual === want)
      return type === 'integer' ? { ...r, value: Math.trunc(r.value as number) } : r
    return errorResolution(
      key,
      'TYPE_MISMATCH',
      `flag ${key} has ${actual} values, asked for ${type === 'integer' ? 'an integer' : `a ${type}`}`,
      r.metadata,
    )
  }
}

function valueTypeOf(value: FlagValue): FlagType {
  return typeof value === 'object' ? 'object' : (typeof value as FlagType)
}

/** An empty flag set (before any source is loaded). */
export const EMPTY_FLAG_SET = new FlagSet({ flags: {} })
