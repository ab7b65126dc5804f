import { describe, expect, it } from 'vitest'
import { compareSemVer, parseSemVer, semverMatches, versionOf } from './semver.js'

const cmp = (a: string, b: string) => {
  const x = parseSemVer(a)
  const y = parseSemVer(b)
  if (x === undefined || y === undefined) throw new Error(`invalid: ${a} ${b}`)
  return compareSemVer(x, y)
}

describe('semantic versions as Go x/mod/semver reads them', () => {
  it.each([
    'v1',
    'v1.2',
    'v1.2.3',
    'v1.2.3-rc.1',
    'v1.2.3-0.alpha',
    'v1.2.3+build.5',
    'v1.2.3-beta+exp.sha.5114f85',
    'v0.0.0',
  ])('accepts %s', (v) => expect(parseSemVer(v)).toBeDefined())

  it.each([
    '1.2.3',
    'v',
    'v01.2.3',
    'v1.02.3',
    'v1.2.03',
    'v1.2-rc',
    'v1-rc',
    'v1.2.3.4',
    'v1.2.3-',
    'v1.2.3-01',
    'v1.2.3-a..b',
    'v1.2.3+',
    'v1.2.3-a_b',
    'v1.2.3 ',
  ])('refuses %s', (v) => expect(parseSemVer(v)).toBeUndefined())

  it('orders by precedence, short forms filled with zeros, build ignored', () => {
    expect(cmp('v1.2', 'v1.2.0')).toBe(0)
    expect(cmp('v1', 'v1.0.0')).toBe(0)
    expect(cmp('v1.2.3+a', 'v1.2.3+b')).toBe(0)
    expect(cmp('v1.10.0', 'v1.9.9')).toBe(1)
    expect(cmp('v2.0.0-alpha', 'v2.0.0')).toBe(-1)
    // the semver.org example chain
    const chain = [
      'v1.0.0-alpha',
      'v1.0.0-alpha.1',
      'v1.0.0-alpha.beta',
      'v1.0.0-beta',
      'v1.0.0-beta.2',
      'v1.0.0-beta.11',
      'v1.0.0-rc.1',
      'v1.0.0',
    ]
    for (let i = 1; i < chain.length; i++)
      expect(cmp(chain[i - 1] as string, chain[i] as string)).toBe(-1)
  })

  it('reads context values as flagd does: a v or V prefix, numbers as text', () => {
    expect(versionOf('1.0.0')).toEqual(versionOf('v1.0.0'))
    expect(versionOf('V1.0.0')).toEqual(versionOf('v1.0.0'))
    expect(versionOf(1)).toEqual(versionOf('1.0.0'))
    expect(versionOf(1.2)).toEqual(versionOf('1.2.0'))
    expect(versionOf('vv1')).toBeUndefined()
    expect(versionOf(true)).toBeUndefined()
    expect(versionOf(null)).toBeUndefined()
  })

  it('matches ^ on the major and ~ on major.minor', () => {
    const v = (s: string) => versionOf(s) ?? expect.fail(s)
    expect(semverMatches(v('3.1.0'), '^', v('3.0.0'))).toBe(true)
    expect(semverMatches(v('3.1.0'), '~', v('3.0.0'))).toBe(false)
    expect(semverMatches(v('3.0.9'), '~', v('3.0.0'))).toBe(true)
    expect(semverMatches(v('4.0.0'), '^', v('3.0.0'))).toBe(false)
    expect(semverMatches(v('1.0.0'), '=>', v('1.0.0'))).toBeUndefined()
  })
})
