/**
 * Dashboard sessions: how a browser gets to act without ever holding the API token in a URL.
 * `kanari dashboard` (which has the token) asks for a one-time login code that lives a minute; the
 * browser trades it for an HttpOnly, SameSite=Strict cookie. A state-changing call carried by the
 * cookie must also come from the dashboard's own origin with its marker header, so another page —
 * even one on another loopback port — cannot make the browser act.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { hostName } from '../api/guards.js'

export const SESSION_COOKIE = 'kanari_session'
/** Sent by the dashboard's own scripts on every call; a form or a cross-origin page cannot send it. */
export const DASHBOARD_HEADER = 'x-kanari-dashboard'

export const LOGIN_CODE_SECONDS = 60
export const SESSION_SECONDS = 12 * 3600

/** The parts of a request the gate reads. */
export interface SessionRequest {
  headers: Record<string, string | string[] | undefined>
}

function header(req: SessionRequest, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Whether the request's Origin is the address it was sent to (the dashboard's own page). */
export function sameOrigin(req: SessionRequest): boolean {
  const origin = header(req, 'origin')
  const host = header(req, 'host')
  if (origin === undefined || host === undefined) return false
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  return (
    url.protocol === 'http:' &&
    url.host === host.trim().toLowerCase() &&
    hostName(host) !== undefined
  )
}

export class DashboardSessions {
  readonly #codes = new Map<string, number>()
  readonly #sessions = new Map<string, number>()

  constructor(private readonly now: () => number = Date.now) {}

  #sweep(): void {
    const t = this.now()
    for (const [k, exp] of this.#codes) if (exp <= t) this.#codes.delete(k)
    for (const [k, exp] of this.#sessions) if (exp <= t) this.#sessions.delete(k)
  }

  /** A code good for one login within LOGIN_CODE_SECONDS. */
  newLoginCode(): { code: string; expiresAt: number } {
    this.#sweep()
    const code = randomBytes(18).toString('base64url')
    const expiresAt = this.now() + LOGIN_CODE_SECONDS * 1000
    this.#codes.set(code, expiresAt)
    return { code, expiresAt }
  }

  /** Trades a login code (used up either way) for a new session; undefined if it is unknown or old. */
  redeem(code: string): { session: string; expiresAt: number } | undefined {
    this.#sweep()
    const known = [...this.#codes.keys()].find((k) => sameSecret(k, code))
    if (known === undefined) return undefined
    this.#codes.delete(known)
    return this.newSession()
  }

  newSession(): { session: string; expiresAt: number } {
    this.#sweep()
    const session = randomBytes(24).toString('base64url')
    const expiresAt = this.now() + SESSION_SECONDS * 1000
    this.#sessions.set(session, expiresAt)
    return { session, expiresAt }
  }

  /** The session the request's cookie names, while it lasts. */
  sessionOf(req: SessionRequest): { session: string; expiresAt: number } | undefined {
    this.#sweep()
    const value = cookieValue(header(req, 'cookie'), SESSION_COOKIE)
    if (value === undefined) return undefined
    for (const [session, expiresAt] of this.#sessions)
      if (sameSecret(session, value)) return { session, expiresAt }
    return undefined
  }

  end(session: string): void {
    this.#sessions.delete(session)
  }

  /** Whether a state-changing request may go ahead on its session: cookie, origin and marker header. */
  admits(req: SessionRequest): boolean {
    return (
      header(req, DASHBOARD_HEADER) === '1' && sameOrigin(req) && this.sessionOf(req) !== undefined
    )
  }

  /** The Set-Cookie value for a session (or for ending one, with `undefined`). */
  static cookie(session: { session: string; expiresAt: number } | undefined, now: number): string {
    const attrs = 'Path=/; HttpOnly; SameSite=Strict'
    if (session === undefined) return `${SESSION_COOKIE}=; ${attrs}; Max-Age=0`
    const maxAge = Math.max(0, Math.floor((session.expiresAt - now) / 1000))
    return `${SESSION_COOKIE}=${session.session}; ${attrs}; Max-Age=${maxAge}`
  }
}
