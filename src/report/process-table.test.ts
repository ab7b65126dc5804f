/** The process table's layout: it fits the width asked for, and no verdict is cut. */
import { describe, expect, it } from 'vitest'
import type { EngineEvent, EventData } from '../engine/events.js'
import { processTable, renderProcessTable, type ProcessRow } from './process-table.js'

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
  it.each([120, 100, 90, 80])(
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

describe('process table rows from the typed events', () => {
  let clock = 0
  const ev = (data: EventData, canaryWeight = 0): EngineEvent => ({
    at: (clock += 1000),
    severity: 'info',
    revision: 2,
    canaryWeight,
    stepIndex: 0,
    message: 'for people only',
    ...data,
  })
  const run = {
    id: 'r1',
    kind: 'step' as const,
    stepIndex: 1,
    judge: 'threshold' as const,
    metrics: ['error-rate'],
  }
  const start = (): EngineEvent[] => [
    ev({ reason: 'NewRevision', first: false, strategy: 'canary', stableRevision: 1 }),
    ev({ reason: 'TrafficShifted', fromWeight: 0, toWeight: 30 }, 30),
  ]

  it("a user's promote reads as the command, not as monitoring that found no issues", () => {
    const rows = processTable([
      ...start(),
      ev({ reason: 'Paused', pauseReason: 'PauseStep' }, 30),
      ev({ reason: 'Command', command: 'promote', full: true, actor: 'user' }, 30),
      ev({ reason: 'Promoted', previousStable: 1, byUser: true }, 30),
    ])
    expect(rows.map((r) => [r.action, r.monitoring])).toEqual([
      ['Deploy new version', 'Pending'],
      ['Send users to canary', 'Pending'],
      ['Pause', 'Waiting'],
      ['Promote fully (by user)', 'Skipped'],
      ['Promote canary', 'N/A'],
    ])
    expect(rows.some((r) => r.monitoring === 'No issues')).toBe(false)
  })

  it('a rollback after measurement errors reads as monitoring unavailable, not issues detected', () => {
    const verdict = (reason: 'AnalysisError' | 'AnalysisFailed'): EngineEvent =>
      ev(
        {
          reason,
          run,
          phase: reason === 'AnalysisError' ? 'Error' : 'Failed',
          explanation: 'x',
        },
        30,
      )
    const rolledBack = ev(
      {
        reason: 'RolledBack',
        stableRevision: 1,
        cause: 'AnalysisFailed',
        explanation: 'Prometheus unreachable',
      },
      30,
    )
    const outage = processTable([...start(), verdict('AnalysisError'), rolledBack])
    expect(outage.at(-2)).toMatchObject({
      monitoring: 'Monitoring unavailable',
      detail: 'Prometheus unreachable',
    })
    const failed = processTable([...start(), verdict('AnalysisFailed'), rolledBack])
    expect(failed.at(-2)?.monitoring).toBe('Issues detected')
  })
})
