/**
 * Choosing where a request goes — header and cookie routes first, then the weighted split (random,
 * or sticky by a hash of a cookie or header) — and whether it is mirrored. Pure, so it is tested
 * without sockets.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { RequestMatch } from '../../engine/plan.js'
import type { ProxyRoutes } from './types.js'

/** Split resolution: weights are compared in basis points (0..9999). */
const BUCKETS = 10_000

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (header === undefined) return out
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim())
  }
  return out
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()]
  return Array.isArray(v) ? v.join(',') : v
}

const regexCache = new Map<string, RegExp>()
function valueMatches(
  value: string | undefined,
  want: { exact?: string; prefix?: string; regex?: string },
): boolean {
  if (value === undefined) return false
  if (want.exact !== undefined) return value === want.exact
  if (want.prefix !== undefined) return value.startsWith(want.prefix)
  if (want.regex !== undefined) {
    let re = regexCache.get(want.regex)
    if (re === undefined) {
      re = new RegExp(`^(?:${want.regex})$`)
      regexCache.set(want.regex, re)
    }
    return re.test(value)
  }
  return false
}

export function requestMatches(
  match: RequestMatch,
  headers: IncomingHttpHeaders,
  cookies: () => Map<string, string>,
): boolean {
  if ('headerName' in match)
    return valueMatches(headerValue(headers, match.headerName), match.headerValue)
  return valueMatches(cookies().get(match.cookieName), match.cookieValue)
}

/** FNV-1a, 32 bit: a stable, fast hash of a user key into 0..9999. */
export function stickyBucket(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h % BUCKETS
}

export interface RouteDecision {
  backend: string | undefined
  /** Which rule chose it: a header route's name, "sticky" or "weight". */
  reason: string
  mirror: string | undefined
}

export function chooseRoute(
  routes: ProxyRoutes,
  headers: IncomingHttpHeaders,
  random: () => number = Math.random,
): RouteDecision {
  let parsed: Map<string, string> | undefined
  const cookies = (): Map<string, string> =>
    (parsed ??= parseCookies(headerValue(headers, 'cookie')))
  const matchesAny = (list: RequestMatch[]): boolean =>
    list.some((m) => requestMatches(m, headers, cookies))
  let mirror: string | undefined
  const m = routes.mirror
  if (
    m !== undefined &&
    m.percentage > 0 &&
    (m.match.length === 0 || matchesAny(m.match)) &&
    random() * 100 < m.percentage
  )
    mirror = m.backend

  for (const route of routes.headerRoutes) {
    if (matchesAny(route.match))
      return {
        backend: route.backend,
        reason: route.name,
        mirror: mirror === route.backend ? undefined : mirror,
      }
  }
  let bucket: number
  let reason = 'weight'
  const key =
    routes.sticky?.cookie !== undefined
      ? cookies().get(routes.sticky.cookie)
      : routes.sticky?.header !== undefined
        ? headerValue(headers, routes.sticky.header)
        : undefined
  if (key !== undefined && key !== '') {
    bucket = stickyBucket(key)
    reason = 'sticky'
  } else bucket = Math.floor(random() * BUCKETS)
  const chosen = weighted(routes, bucket)
  return { backend: chosen, reason, mirror: mirror === chosen ? undefined : mirror }
}

/** The backend whose cumulative weight range holds `bucket` (0..9999). */
function weighted(routes: ProxyRoutes, bucket: number): string | undefined {
  let cumulative = 0
  let chosen: string | undefined
  for (const w of routes.weights) {
    if (w.weight <= 0) continue
    cumulative += w.weight * (BUCKETS / 100)
    chosen = w.backend
    if (bucket < cumulative) break
  }
  return chosen
}
