/**
 * Semantic versions as flagd's `sem_ver` reads them (Go's golang.org/x/mod/semver after flagd puts a
 * `v` in front): `1`, `1.2` and `1.2.3` with an optional pre-release and build; no leading zeros;
 * build metadata is ignored when comparing.
 */

export interface SemVer {
  major: string
  minor: string
  patch: string
  /** `-rc.1` with its dash, or '' */
  prerelease: string
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9'
const isIdentChar = (c: string) =>
  (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '-'
const isNum = (s: string) => /^[0-9]+$/.test(s)
const isBadNum = (s: string) => isNum(s) && s.length > 1 && s.startsWith('0')

/** A number at the start of `v`: its digits and the rest, or undefined (none, or a leading zero). */
function parseInt(v: string): [string, string] | undefined {
  if (!isDigit(v[0])) return undefined
  let i = 1
  while (isDigit(v[i])) i++
  if (v[0] === '0' && i !== 1) return undefined
  return [v.slice(0, i), v.slice(i)]
}

/** Identifiers after `-` (pre-release) or `+` (build), up to the build or the end. */
function parseIdents(
  v: string,
  stopAtPlus: boolean,
  checkNums: boolean,
): [string, string] | undefined {
  let i = 1
  let start = 1
  while (i < v.length && !(stopAtPlus && v[i] === '+')) {
    const c = v[i] as string
    if (c === '.') {
      if (start === i || (checkNums && isBadNum(v.slice(start, i)))) return undefined
      start = i + 1
    } else if (!isIdentChar(c)) return undefined
    i++
  }
  if (start === i || (checkNums && isBadNum(v.slice(start, i)))) return undefined
  return [v.slice(0, i), v.slice(i)]
}

/** Parses `v1.2.3-rc.1+build`; undefined when it is not a valid version. */
export function parseSemVer(v: string): SemVer | undefined {
  if (!v.startsWith('v')) return undefined
  const major = parseInt(v.slice(1))
  if (major === undefined) return undefined
  let rest = major[1]
  if (rest === '') return { major: major[0], minor: '0', patch: '0', prerelease: '' }
  if (rest[0] !== '.') return undefined
  const minor = parseInt(rest.slice(1))
  if (minor === undefined) return undefined
  rest = minor[1]
  if (rest === '') return { major: major[0], minor: minor[0], patch: '0', prerelease: '' }
  if (rest[0] !== '.') return undefined
  const patch = parseInt(rest.slice(1))
  if (patch === undefined) return undefined
  rest = patch[1]
  let prerelease = ''
  if (rest.startsWith('-')) {
    const pre = parseIdents(rest, true, true)
    if (pre === undefined) return undefined
    ;[prerelease, rest] = pre
  }
  if (rest.startsWith('+')) {
    const build = parseIdents(rest, false, false)
    if (build === undefined) return undefined
    rest = build[1]
  }
  if (rest !== '') return undefined
  return { major: major[0], minor: minor[0], patch: patch[0], prerelease }
}

function compareInt(x: string, y: string): number {
  if (x === y) return 0
  if (x.length !== y.length) return x.length < y.length ? -1 : 1
  return x < y ? -1 : 1
}

function comparePrerelease(x: string, y: string): number {
  if (x === y) return 0
  if (x === '') return 1
  if (y === '') return -1
  const xs = x.slice(1).split('.')
  const ys = y.slice(1).split('.')
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const dx = xs[i] as string
    const dy = ys[i] as string
    if (dx === dy) continue
    const nx = isNum(dx)
    const ny = isNum(dy)
    if (nx !== ny) return nx ? -1 : 1
    if (nx && dx.length !== dy.length) return dx.length < dy.length ? -1 : 1
    return dx < dy ? -1 : 1
  }
  return xs.length === ys.length ? 0 : xs.length < ys.length ? -1 : 1
}

/** -1, 0 or 1, as semver precedence orders `a` and `b`. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  return (
    compareInt(a.major, b.major) ||
    compareInt(a.minor, b.minor) ||
    compareInt(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  )
}

export const SEMVER_OPERATORS = ['=', '!=', '<', '<=', '>', '>=', '^', '~'] as const
export type SemVerOperator = (typeof SEMVER_OPERATORS)[number]

/** flagd's reading of a context or rule value as a version: any value as text, `v` put in front. */
export function versionOf(value: unknown): SemVer | undefined {
  let text = typeof value === 'string' ? value : goText(value)
  if (text === undefined) return undefined
  if (!text.startsWith('v')) text = `v${text.startsWith('V') ? text.slice(1) : text}`
  return parseSemVer(text)
}

/** Numbers as Go's %v prints a float64; other non-strings cannot be versions. */
function goText(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined
}

/** `sem_ver`'s comparison; undefined for an unknown operator. */
export function semverMatches(a: SemVer, op: string, b: SemVer): boolean | undefined {
  switch (op) {
    case '=':
      return compareSemVer(a, b) === 0
    case '!=':
      return compareSemVer(a, b) !== 0
    case '<':
      return compareSemVer(a, b) < 0
    case '<=':
      return compareSemVer(a, b) <= 0
    case '>':
      return compareSemVer(a, b) > 0
    case '>=':
      return compareSemVer(a, b) >= 0
    case '^':
      return a.major === b.major
    case '~':
      return a.major === b.major && a.minor === b.minor
    default:
      return undefined
  }
}
