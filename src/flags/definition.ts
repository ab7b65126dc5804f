/**
 * The flagd flag definition format (https://flagd.dev/schema/v0/flags.json): a document of flags,
 * reusable `$evaluators` and flag-set metadata. `checkFlagDocument` reads a parsed document and
 * returns every problem with its path: errors refuse the whole document, warnings (targeting flagd
 * would answer with PARSE_ERROR) are served as flagd serves them.
 */
import { compileLogic, JsonLogicError } from './json-logic.js'
import { MAX_NESTING, nestsDeeperThan } from './nesting.js'
import { FLAGD_OPERATIONS } from './operations.js'

export const FLAG_STATES = ['ENABLED', 'DISABLED'] as const
export type FlagState = (typeof FLAG_STATES)[number]

/** The type every variant of one flag shares. */
export const FLAG_TYPES = ['boolean', 'string', 'number', 'object'] as const
export type FlagType = (typeof FLAG_TYPES)[number]

export type FlagValue = boolean | string | number | { [key: string]: unknown }
export type MetadataValue = string | number | boolean
export type FlagMetadata = Record<string, MetadataValue>

export interface FlagDefinition {
  state: FlagState
  variants: Record<string, FlagValue>
  /** Absent or null: the caller's (code) default is used. */
  defaultVariant?: string | null
  /** JsonLogic; `{}` means none. */
  targeting?: unknown
  metadata?: FlagMetadata
}

/** A document as served: flags by key (the array form is turned into this), evaluators, metadata. */
export interface FlagDocument {
  flags: Record<string, FlagDefinition>
  $evaluators?: Record<string, unknown>
  metadata?: FlagMetadata
}

export interface FlagProblem {
  /** Where, like `flags["new-checkout"].defaultVariant` ('' for the whole document). */
  path: string
  message: string
  severity: 'error' | 'warning'
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/

/** A path with one more key or index: `a.b`, `a["x y"]`, `a[0]`. */
export function pathJoin(path: string, part: string | number): string {
  if (typeof part === 'number') return `${path}[${part}]`
  if (PLAIN_KEY.test(part)) return path === '' ? part : `${path}.${part}`
  return `${path}[${JSON.stringify(part)}]`
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/** The keys and indexes of a path made by `pathJoin`, to find it again in a parsed file. */
export function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = []
  const token = /(?:^|\.)([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y
  let m: RegExpExecArray | null
  while (token.lastIndex < path.length && (m = token.exec(path)) !== null) {
    if (m[1] !== undefined) out.push(m[1])
    else if (m[2] !== undefined) out.push(Number(m[2]))
    else out.push(JSON.parse(m[3] as string) as string)
  }
  return out
}

/** The type of a variant value, or undefined for one no flag may have (null, an array). */
export function valueType(value: unknown): FlagType | undefined {
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'string') return 'string'
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : undefined
  return isRecord(value) ? 'object' : undefined
}

/** The type of a flag: that of its variants (boolean when it has none). */
export function flagType(flag: Pick<FlagDefinition, 'variants'>): FlagType {
  const first = Object.values(flag.variants)[0]
  return first === undefined ? 'boolean' : (valueType(first) ?? 'boolean')
}

/** Replaces each `{"$ref": "name"}` naming an evaluator with the evaluator (one level, as flagd). */
export function resolveRefs(rule: unknown, evaluators: Record<string, unknown>): unknown {
  if (Array.isArray(rule)) return rule.map((r) => resolveRefs(r, evaluators))
  if (!isRecord(rule)) return rule
  const keys = Object.keys(rule)
  if (keys.length === 1 && keys[0] === '$ref' && typeof rule.$ref === 'string') {
    return Object.hasOwn(evaluators, rule.$ref) ? evaluators[rule.$ref] : rule
  }
  const out: Record<string, unknown> = {}
  for (const k of keys) out[k] = resolveRefs(rule[k], evaluators)
  return out
}

/** Whether targeting is given: absent, null and `{}` all mean none. */
export function hasTargeting(targeting: unknown): boolean {
  return (
    targeting !== undefined &&
    targeting !== null &&
    !(isRecord(targeting) && Object.keys(targeting).length === 0)
  )
}

const tooDeep = (what: string) =>
  `${what} nests more than ${MAX_NESTING} objects and arrays deep, more than Kanari evaluates; is a bracket out of place, or can the rule be flattened (an "if" takes many condition/result pairs)?`

class Problems {
  readonly list: FlagProblem[] = []
  error(path: string, message: string): void {
    this.list.push({ path, message, severity: 'error' })
  }
  warning(path: string, message: string): void {
    this.list.push({ path, message, severity: 'warning' })
  }
}

function checkMetadata(p: Problems, value: unknown, path: string): FlagMetadata | undefined {
  if (value === undefined) return undefined
  if (!isRecord(value)) {
    p.error(path, 'must be a mapping of names to strings, numbers or booleans')
    return undefined
  }
  for (const [k, v] of Object.entries(value))
    if (!['string', 'number', 'boolean'].includes(typeof v))
      p.error(pathJoin(path, k), 'must be a string, a number or a boolean')
  return value as FlagMetadata
}

/** `$ref`s in a rule that name no evaluator, with their paths. */
function danglingRefs(
  rule: unknown,
  evaluators: Record<string, unknown>,
  path: string,
): [string, string][] {
  if (Array.isArray(rule))
    return rule.flatMap((r, i) => danglingRefs(r, evaluators, pathJoin(path, i)))
  if (!isRecord(rule)) return []
  const keys = Object.keys(rule)
  if (keys.length === 1 && keys[0] === '$ref')
    return typeof rule.$ref === 'string' && Object.hasOwn(evaluators, rule.$ref)
      ? []
      : [[pathJoin(path, '$ref'), JSON.stringify(rule.$ref)]]
  return keys.flatMap((k) => danglingRefs(rule[k], evaluators, pathJoin(path, k)))
}

function checkTargeting(
  p: Problems,
  targeting: unknown,
  evaluators: Record<string, unknown>,
  path: string,
): void {
  if (!hasTargeting(targeting)) return
  if (!isRecord(targeting)) {
    p.error(path, 'must be a JsonLogic rule (a mapping), or {} for none')
    return
  }
  const dangling = danglingRefs(targeting, evaluators, path)
  for (const [at, name] of dangling)
    p.warning(
      at,
      `names no evaluator in $evaluators (${name}): evaluating this flag answers PARSE_ERROR`,
    )
  if (dangling.length > 0) return
  const rule = resolveRefs(targeting, evaluators)
  if (nestsDeeperThan(rule)) {
    p.error(path, tooDeep('with its $refs resolved, it'))
    return
  }
  try {
    compileLogic(rule, { operations: FLAGD_OPERATIONS })
  } catch (err) {
    if (!(err instanceof JsonLogicError)) throw err
    const where = err.path === '' ? path : `${path}.${err.path}`
    p.warning(where, `${err.message}: evaluating this flag answers PARSE_ERROR`)
  }
}

function checkFlag(
  p: Problems,
  flag: unknown,
  path: string,
  evaluators: Record<string, unknown>,
): FlagDefinition | undefined {
  if (!isRecord(flag)) {
    p.error(path, 'must be a mapping with state, variants, defaultVariant and targeting')
    return undefined
  }
  if (nestsDeeperThan(flag)) {
    p.error(path, tooDeep('it'))
    return undefined
  }
  const before = p.list.length
  if (flag.state === undefined) p.error(pathJoin(path, 'state'), 'is required: ENABLED or DISABLED')
  else if (!FLAG_STATES.includes(flag.state as FlagState))
    p.error(
      pathJoin(path, 'state'),
      `must be ENABLED or DISABLED, not ${JSON.stringify(flag.state)}`,
    )
  const variantsPath = pathJoin(path, 'variants')
  if (!isRecord(flag.variants)) {
    p.error(
      variantsPath,
      flag.variants === undefined
        ? 'is required: a mapping of variant names to values'
        : 'must be a mapping of variant names to values',
    )
  } else {
    let type: FlagType | undefined
    for (const [name, value] of Object.entries(flag.variants)) {
      const at = pathJoin(variantsPath, name)
      if (name === '') p.error(at, 'a variant name must not be empty')
      const t = valueType(value)
      if (t === undefined) {
        p.error(at, 'must be a boolean, a string, a number or an object')
        continue
      }
      if (type === undefined) type = t
      else if (t !== type)
        p.error(
          at,
          `is a ${t} but the flag's other variants are ${type}s: all variants of a flag have one type`,
        )
    }
    const dv = flag.defaultVariant
    if (dv !== undefined && dv !== null) {
      if (typeof dv !== 'string')
        p.error(pathJoin(path, 'defaultVariant'), 'must be a variant name or null')
      else if (!Object.hasOwn(flag.variants, dv))
        p.error(
          pathJoin(path, 'defaultVariant'),
          `names no variant (${JSON.stringify(dv)}); the variants are ${
            Object.keys(flag.variants)
              .map((v) => JSON.stringify(v))
              .join(', ') || 'none'
          }`,
        )
    }
  }
  if (flag.targeting !== undefined)
    checkTargeting(p, flag.targeting, evaluators, pathJoin(path, 'targeting'))
  checkMetadata(p, flag.metadata, pathJoin(path, 'metadata'))
  if (p.list.slice(before).some((x) => x.severity === 'error')) return undefined
  const out: FlagDefinition = {
    state: flag.state as FlagState,
    variants: flag.variants as Record<string, FlagValue>,
  }
  if (flag.defaultVariant !== undefined) out.defaultVariant = flag.defaultVariant as string | null
  if (flag.targeting !== undefined) out.targeting = flag.targeting
  if (flag.metadata !== undefined) out.metadata = flag.metadata as FlagMetadata
  return out
}

export interface CheckedDocument {
  /** The document in map form, when there are no errors. */
  document?: FlagDocument
  problems: FlagProblem[]
}

/** Checks a parsed flagd document; `document` is set only when no problem is an error. */
export function checkFlagDocument(value: unknown): CheckedDocument {
  const p = new Problems()
  if (!isRecord(value)) {
    p.error('', 'a flag document must be a mapping with a "flags" key')
    return { problems: p.list }
  }
  let evaluators: Record<string, unknown> = {}
  if (value.$evaluators !== undefined) {
    if (!isRecord(value.$evaluators))
      p.error('$evaluators', 'must be a mapping of names to JsonLogic rules')
    else {
      evaluators = value.$evaluators
      for (const [name, rule] of Object.entries(evaluators)) {
        const at = pathJoin('$evaluators', name)
        if (name === '') p.error(at, 'an evaluator name must not be empty')
        if (!isRecord(rule) || Object.keys(rule).length === 0)
          p.error(at, 'must be a non-empty JsonLogic rule (a mapping)')
        else if (nestsDeeperThan(rule)) p.error(at, tooDeep('it'))
      }
    }
  }
  const metadata = checkMetadata(p, value.metadata, 'metadata')
  const flags: Record<string, FlagDefinition> = {}
  const add = (key: string, flag: unknown, path: string) => {
    const checked = checkFlag(p, flag, path, evaluators)
    if (checked !== undefined) flags[key] = checked
  }
  if (value.flags === undefined) p.error('flags', 'is required: a mapping of flag keys to flags')
  else if (Array.isArray(value.flags)) {
    const seen = new Map<string, number>()
    value.flags.forEach((f: unknown, i) => {
      const path = pathJoin('flags', i)
      const key = isRecord(f) ? f.key : undefined
      if (typeof key !== 'string' || key === '') {
        p.error(pathJoin(path, 'key'), 'is required in the array form: the flag key')
        return
      }
      const first = seen.get(key)
      if (first !== undefined) {
        p.error(
          pathJoin(path, 'key'),
          `flag ${JSON.stringify(key)} is also defined at flags[${first}]`,
        )
        return
      }
      seen.set(key, i)
      const { key: _key, ...rest } = f as Record<string, unknown>
      add(key, rest, path)
    })
  } else if (!isRecord(value.flags)) p.error('flags', 'must be a mapping of flag keys to flags')
  else
    for (const [key, flag] of Object.entries(value.flags)) {
      if (key === '') p.error(pathJoin('flags', key), 'a flag key must not be empty')
      add(key, flag, pathJoin('flags', key))
    }
  if (p.list.some((x) => x.severity === 'error')) return { problems: p.list }
  const document: FlagDocument = { flags }
  if (value.$evaluators !== undefined) document.$evaluators = evaluators
  if (metadata !== undefined) document.metadata = metadata
  return { document, problems: p.list }
}
