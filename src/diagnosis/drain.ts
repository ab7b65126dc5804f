/**
 * Log templates by Drain-style clustering (He et al., ICWS 2017): tokens are first masked (times,
 * ids, addresses, long numbers, stack positions), then a record joins the cluster of the same token
 * count and first token whose template it matches best, if at least `similarity` of its tokens are
 * equal; the positions where members differ become `<*>`. Deterministic for a given input order.
 */

/** A token standing for a line break inside a multi-line record (a stack trace). */
export const LINE_BREAK = '⏎'
export const WILDCARD = '<*>'

const WHOLE_TOKEN_MASKS: [RegExp, string][] = [
  [/^\[?\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?\]?,?$/, '<TIME>'],
  [/^\[?\d{2}:\d{2}:\d{2}([.,]\d+)?\]?,?$/, '<TIME>'],
  [/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, '<UUID>'],
  [/^\d{1,3}(\.\d{1,3}){3}(:\d+)?$/, '<IP>'],
  [/^\[?[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}\]?(:\d+)?$/i, '<IP>'],
  [/^(0x)?(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}$/i, '<HEX>'],
]

/** Masks the variable parts of one token; short integers (status codes, counts) are left to Drain. */
export function maskToken(token: string): string {
  // Every mask needs a digit, and short integers stay: the common tokens cost one test or two.
  if (!/\d/.test(token) || /^\d{1,3}$/.test(token)) return token
  for (const [re, mask] of WHOLE_TOKEN_MASKS) if (re.test(token)) return mask
  return (
    token
      // Positions in stack frames and source references: file.js:42:7, line 42.
      .replace(/:\d+:\d+/g, ':<N>:<N>')
      .replace(/:\d+(?=\)?$)/g, ':<N>')
      // Numbers with a unit, decimals, and numbers of 4 digits or more.
      .replace(/\d+(\.\d+)?(?=(ms|us|µs|ns|s|m|h|kb|mb|gb|b|%)\b)/gi, '<NUM>')
      .replace(/\d+\.\d+/g, '<NUM>')
      .replace(/\d{4,}/g, '<NUM>')
  )
}

const TOO_COMMON = new Set(['true', 'false', 'yes', 'no', 'on', 'off', 'null', 'none'])

/**
 * A pattern for values to mask wherever they stand as a word — the configuration values that differ
 * between the two revisions (COLOR=blue → red, VERSION=v1 → v2) — so both sides' lines about the
 * same thing fall into one template and the diff shows behaviour, not configuration. Undefined
 * when there are none worth masking (one character, short numbers, booleans).
 */
export function valueMask(values: Iterable<string>): RegExp | undefined {
  const kept = [...new Set(values)]
    .filter((v) => v.length >= 2 && !TOO_COMMON.has(v.toLowerCase()) && !/^\d{1,2}$/.test(v))
    .filter((v) => !/\s/.test(v))
    .sort((a, b) => b.length - a.length)
    .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  if (kept.length === 0) return undefined
  return new RegExp(`(?<![A-Za-z0-9_])(?:${kept.join('|')})(?![A-Za-z0-9_])`, 'g')
}

/** Marks a token that names what kind of event a line is: records never merge across two of them. */
const KIND = '\u0001'
const LEVEL =
  /^\[?(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC|SEVERE)\]?:?$/
const KIND_PAIR = /^"?(status|code|status_code|statuscode|level|lvl|severity)"?[=:]"?[\w.-]+"?,?$/i

/**
 * Whether a token says what kind of event the line is: a log level (`ERROR`), a `level=`/`status=`
 * pair, or an HTTP status after a path or a quoted request line (`GET /cart 500`, `"GET / HTTP/1.1"
 * 503`). Lines that differ there are different events however alike the rest: a 500 is not a 200.
 */
function isKind(token: string, previous: string | undefined): boolean {
  // Cheap tests first: this runs for every token of every line.
  const first = token.charCodeAt(0)
  if (((first >= 65 && first <= 90) || first === 91) && LEVEL.test(token)) return true
  if ((token.includes('=') || token.includes(':')) && KIND_PAIR.test(token)) return true
  return (
    token.length === 3 &&
    /^[1-5]\d\d$/.test(token) &&
    previous !== undefined &&
    (previous.startsWith('/') || previous.endsWith('"'))
  )
}

/** The masked tokens of a record (its lines joined by LINE_BREAK tokens). */
export function tokenize(record: readonly string[], values?: RegExp): string[] {
  const tokens: string[] = []
  record.forEach((raw, i) => {
    if (i > 0) tokens.push(LINE_BREAK)
    const line = values === undefined ? raw : raw.replace(values, WILDCARD)
    let previous: string | undefined
    for (const t of line.split(/\s+/)) {
      if (t === '') continue
      tokens.push(isKind(t, previous) ? KIND + t : maskToken(t))
      previous = t
    }
  })
  return tokens
}

export interface Cluster {
  /** Stable within one Drain instance: the order clusters were made in. */
  index: number
  tokens: string[]
}

export interface DrainOptions {
  /** Fraction of equal tokens a record needs to join a cluster (Drain's st). */
  similarity: number
  /** Clusters kept at most; past it, records that match none go to one overflow cluster. */
  maxClusters: number
}

export const DEFAULT_DRAIN: DrainOptions = { similarity: 0.7, maxClusters: 5000 }

export class Drain {
  readonly clusters: Cluster[] = []
  /** Clusters by token count and first token: Drain's fixed-depth prefix tree, two levels deep. */
  readonly #groups = new Map<string, Cluster[]>()
  #overflow: Cluster | undefined

  constructor(readonly options: DrainOptions = DEFAULT_DRAIN) {}

  /** Adds a record; returns the cluster it joined or made. */
  add(tokens: readonly string[]): Cluster {
    const key = `${tokens.length}\u0000${groupToken(tokens[0])}`
    let group = this.#groups.get(key)
    if (group === undefined) {
      group = []
      this.#groups.set(key, group)
    }
    let best: Cluster | undefined
    let bestSim = -1
    let bestParams = -1
    for (const c of group) {
      const { sim, params } = similarity(c.tokens, tokens)
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = c
        bestSim = sim
        bestParams = params
      }
    }
    if (best !== undefined && bestSim >= this.options.similarity) {
      for (let i = 0; i < tokens.length; i++)
        if (best.tokens[i] !== tokens[i]) best.tokens[i] = WILDCARD
      return best
    }
    if (this.clusters.length >= this.options.maxClusters) {
      this.#overflow ??= this.#make(['(more', 'templates', 'than', 'kept)'])
      return this.#overflow
    }
    const made = this.#make([...tokens])
    group.push(made)
    return made
  }

  #make(tokens: string[]): Cluster {
    const c = { index: this.clusters.length, tokens }
    this.clusters.push(c)
    return c
  }
}

/** The first token picks the group, unless it is a variable (digits): then all such share one. */
function groupToken(token: string | undefined): string {
  if (token === undefined) return ''
  return /\d/.test(token) ? WILDCARD : token
}

/** Drain's sequence similarity: equal tokens over length; wildcards count apart, to break ties. */
function similarity(
  template: readonly string[],
  tokens: readonly string[],
): {
  sim: number
  params: number
} {
  let equal = 0
  let params = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = template[i]
    const u = tokens[i]
    if (t === WILDCARD) params++
    else if (t === u) equal++
    // Two different kinds of event (ERROR and INFO, 500 and 200): never one template.
    else if (t?.startsWith(KIND) === true && u?.startsWith(KIND) === true)
      return { sim: -1, params }
  }
  return { sim: tokens.length === 0 ? 1 : equal / tokens.length, params }
}

/** A template's text: tokens joined by spaces, LINE_BREAK tokens as new, indented lines. */
export function templateText(tokens: readonly string[]): string {
  let out = ''
  for (const token of tokens) {
    const t = token.startsWith(KIND) ? token.slice(KIND.length) : token
    if (t === LINE_BREAK) out += '\n   '
    else out += out === '' ? t : ` ${t}`
  }
  return out
}
