/** The process table's layout: it fits the width asked for, and no verdict is cut. */
import { describe, expect, it } from 'vitest'
import { renderProcessTable, type ProcessRow } from './process-table.js'

const verdict =
  'analysis failed at 50%: canary error rate 22% (11/50) vs stable 0.6% (13/2210) above max 1%; p < 0.001; latency p99 canary 113 ms vs stable 96 ms; p = 0.41'

const row = (r: Partial<ProcessRow>): ProcessRow => ({
  step: 1,
  atSeconds: 0,
  action: 'Monitor metrics',
  versionState: 'Canary running',
  canaryPercent: 50,
  monitoring: 'Pending',
  detail: '',
  next: 'Monitor metrics',
  ...r,
})

const rows = [
  row({ action: 'Deploy new version', versionState: 'Canary deployed', canaryPercent: 0 }),
  row({
    step: 2,
    atSeconds: 2,
    action: 'Route matching users to canary',
    canaryPercent: 0,
    userGroup: 'users with x-canary: insider or cookie beta=1 + copy of 50% (answers discarded)',
  }),
  row({ step: 3, atSeconds: 64.3, monitoring: 'Issues detected', detail: verdict }),
  row({
    step: 4,
    atSeconds: 64.3,
    action: 'Rollback canary',
    versionState: 'Stable version restored',
    canaryPercent: 0,
    monitoring: 'N/A',
    next: 'End deployment',
  }),
]

describe('process table layout', () => {
  it.each([120, 100, 90])(
    'fits %i columns; the verdict is whole, each p-value beside its metric',
    (width) => {
      const lines = renderProcessTable(rows, { width }).trimEnd().split('\n')
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(width)
      for (const clause of ['max 1%; p < 0.001', 'vs stable 96 ms; p = 0.41'])
        expect(lines.some((l) => l.includes(clause))).toBe(true)
      // The lines under row 3 (and its wrapped cells), from the Action column: the verdict itself.
      const indent = (lines[0] ?? '').indexOf('Action')
      const from = lines.findIndex((l) => l.slice(indent).startsWith('analysis failed'))
      expect(lines[from]?.slice(0, indent).trim()).toBe('')
      const under: string[] = []
      for (const l of lines.slice(from)) {
        if (l.slice(0, indent).trim() !== '') break
        under.push(l.slice(indent))
      }
      expect(under.join(' ')).toBe(verdict)
      // The wrapped user group keeps its words in order.
      expect(lines.join(' ')).toMatch(/users with.*x-canary:.*insider.*cookie.*beta=1/)
    },
  )

  it('puts the detail under its row, from the Action column', () => {
    const lines = renderProcessTable(rows).split('\n')
    const at = lines.findIndex((l) => l.startsWith('3 '))
    const indent = (lines[0] ?? '').indexOf('Action')
    expect(lines[at + 1]?.slice(0, indent).trim()).toBe('')
    expect(lines[at + 1]?.slice(indent)).toMatch(/^analysis failed at 50%: canary error rate 22%/)
  })
})
