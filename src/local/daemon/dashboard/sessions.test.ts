import { describe, expect, it } from 'vitest'
import { DashboardSessions, cookieValue, sameOrigin } from './sessions.js'

describe('dashboard sessions', () => {
  it('a sign-in code works once, and not after its minute', () => {
    let now = 1_000_000
    const s = new DashboardSessions(() => now)
    const a = s.newLoginCode()
    expect(s.redeem(a.code)).toBeDefined()
    expect(s.redeem(a.code)).toBeUndefined()
    const b = s.newLoginCode()
    now += 61_000
    expect(s.redeem(b.code)).toBeUndefined()
    expect(s.redeem('')).toBeUndefined()
  })

  it('admits a session only with its cookie, its own origin and the marker header', () => {
    let now = 0
    const s = new DashboardSessions(() => now)
    const { session } = s.newSession()
    const ok = {
      cookie: `other=1; kanari_session=${session}`,
      host: '127.0.0.1:4000',
      origin: 'http://127.0.0.1:4000',
      'x-kanari-dashboard': '1',
    }
    expect(s.admits({ headers: ok })).toBe(true)
    expect(s.admits({ headers: { ...ok, origin: 'http://127.0.0.1:4001' } })).toBe(false)
    expect(s.admits({ headers: { ...ok, origin: 'null' } })).toBe(false)
    expect(s.admits({ headers: { ...ok, 'x-kanari-dashboard': undefined } })).toBe(false)
    expect(s.admits({ headers: { ...ok, cookie: 'kanari_session=nope' } })).toBe(false)
    now += 13 * 3600 * 1000
    expect(s.admits({ headers: ok })).toBe(false)
  })

  it('reads cookies and origins strictly', () => {
    expect(cookieValue('a=1; kanari_session=xyz', 'kanari_session')).toBe('xyz')
    expect(cookieValue('xkanari_session=1', 'kanari_session')).toBeUndefined()
    expect(sameOrigin({ headers: { host: 'localhost:9', origin: 'http://localhost:9' } })).toBe(
      true,
    )
    expect(sameOrigin({ headers: { host: 'localhost:9', origin: 'https://localhost:9' } })).toBe(
      false,
    )
    expect(sameOrigin({ headers: { host: 'localhost:9' } })).toBe(false)
  })

  it('sets an HttpOnly SameSite=Strict cookie and clears it', () => {
    const set = DashboardSessions.cookie({ session: 'abc', expiresAt: 61_000 }, 1000)
    expect(set).toBe('kanari_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60')
    expect(DashboardSessions.cookie(undefined, 0)).toContain('Max-Age=0')
  })
})
