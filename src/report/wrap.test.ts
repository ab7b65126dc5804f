/** Fitting text: wrapping at spaces and between a verdict's clauses, shortening with its tail kept. */
import { describe, expect, it } from 'vitest'
import { clip, fitLine, wrapClauses, wrapHanging, wrapWords } from './wrap.js'

const verdict =
  'canary error rate 0% (0/146) vs stable 0.5% (13/2754); p = 1; latency p99 canary 113 ms vs stable 96 ms; p = 1'

describe('wrapping', () => {
  it('wraps words into lines no wider than asked, splitting only a word longer than a line', () => {
    expect(wrapWords('users with x-canary: insider or cookie beta=1', 20)).toEqual([
      'users with x-canary:',
      'insider or cookie',
      'beta=1',
    ])
    expect(wrapWords('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij'])
  })

  it("packs a verdict's clauses whole, each metric with its p-value", () => {
    expect(wrapClauses(verdict, 70)).toEqual([
      'canary error rate 0% (0/146) vs stable 0.5% (13/2754); p = 1;',
      'latency p99 canary 113 ms vs stable 96 ms; p = 1',
    ])
    expect(wrapClauses(verdict, 200)).toEqual([verdict])
    for (const line of wrapClauses(verdict, 30)) expect(line.length).toBeLessThanOrEqual(30)
  })

  it('shortens one line keeping its end, where a verdict says the most', () => {
    const shortened = fitLine(verdict, 60)
    expect(shortened).toHaveLength(60)
    expect(shortened.endsWith('vs stable 96 ms; p = 1')).toBe(true)
    expect(fitLine('short', 60)).toBe('short')
    expect(clip('abcdef', 4)).toBe('abc…')
  })
})

describe('wrapHanging', () => {
  it('breaks a long line at spaces within the width; later lines hang two columns in', () => {
    const line =
      '   why: analysis failed at 5%: canary error rate 10.3% (3/29) vs stable 0% (0/928); p = 0.001'
    const lines = wrapHanging(line, 40)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(40)
    expect(lines[0]?.startsWith('   why:')).toBe(true)
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {5}\S/)
    expect(lines.map((l) => l.trim()).join(' ')).toBe(line.trim())
    expect(wrapHanging('short', 40)).toEqual(['short'])
  })
})
