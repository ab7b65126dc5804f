/** A revision's release window and outcome come from its own events, never a later release's. */
import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../controller/ports.js'
import type { EventData } from '../../engine/events.js'
import { initialStatus } from '../../engine/status.js'
import { release } from './gather.js'

let id = 0
const ev = (revision: number, at: number, data: EventData): StoredEvent => ({
  id: ++id,
  rollout: 'demo',
  at,
  severity: 'info',
  revision,
  canaryWeight: 50,
  stepIndex: 0,
  message: 'for people only',
  ...data,
})

describe('release window', () => {
  const newRevision = (revision: number, at: number) =>
    ev(revision, at, { reason: 'NewRevision', first: false, strategy: 'canary', stableRevision: 3 })
  // Revision 4 is replaced by 5 while in flight; 5 is rolled back.
  const events = [
    newRevision(4, 1000),
    ev(4, 2000, { reason: 'TrafficShifted', fromWeight: 0, toWeight: 5 }),
    newRevision(5, 3000),
    ev(5, 9000, {
      reason: 'RolledBack',
      stableRevision: 3,
      cause: 'AnalysisFailed',
      explanation: 'revision 5 failed',
    }),
  ]
  const status = {
    ...initialStatus(),
    stableRevision: 3,
    canaryRevision: null,
    phase: 'RolledBack' as const,
  }

  it("does not head revision 4 with revision 5's verdict: 4's window ends where 5's release starts", () => {
    const r4 = release(events, status, 4, 10_000)
    expect(r4.outcome).toBeNull()
    expect(r4).toMatchObject({ from: 1000, to: 3000 })
    const r5 = release(events, status, 5, 10_000)
    expect(r5.outcome).toMatchObject({ result: 'RolledBack', reason: 'revision 5 failed' })
    expect(r5).toMatchObject({ from: 3000, to: 9000 })
  })
})
