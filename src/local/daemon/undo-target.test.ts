/** The undo target rule: the newest promoted, healthy revision; a rolled-back one only forced. */
import { describe, expect, it } from 'vitest'
import { chooseUndoTarget, defaultUndoRevision, revisionOutcomes } from './undo-target.js'

const initialized = (revision: number) => ({ reason: 'Initialized' as const, revision })
const promoted = (revision: number) => ({ reason: 'Promoted' as const, revision })
const rolledBack = (revision: number, explanation = 'error rate 20% above max 1%') => ({
  reason: 'RolledBack' as const,
  revision,
  explanation,
})
const started = (revision: number) => ({ reason: 'NewRevision' as const, revision })

describe('undo target', () => {
  // r1 initialized, r2 promoted, r3 and r4 rolled back one after the other; r2 is stable.
  const twoRollbacks = revisionOutcomes(
    [1, 2, 3, 4],
    [initialized(1), started(2), promoted(2), started(3), rolledBack(3), started(4), rolledBack(4)],
    2,
  )

  it('after two rollbacks in a row, goes back to the last healthy revision, not the one before the current', () => {
    expect(twoRollbacks.map((o) => o.outcome)).toEqual([
      'healthy',
      'healthy',
      'rolledBack',
      'rolledBack',
    ])
    expect(chooseUndoTarget(twoRollbacks, 4, undefined, false)).toEqual({ revision: 2 })
    // Even forced, the default never picks a rolled-back revision.
    expect(chooseUndoTarget(twoRollbacks, 4, undefined, true)).toEqual({ revision: 2 })
  })

  it('from a healthy current revision, goes to the healthy one before it, skipping rolled-back ones', () => {
    const outcomes = revisionOutcomes([1, 2, 3], [initialized(1), rolledBack(2), promoted(3)], 3)
    expect(defaultUndoRevision(outcomes, 3)).toBe(1)
  })

  it('refuses a rolled-back revision asked for by number, saying why, unless forced', () => {
    expect(chooseUndoTarget(twoRollbacks, 4, 3, false)).toEqual({
      problem: 'rolled-back',
      revision: 3,
      explanation: 'error rate 20% above max 1%',
    })
    expect(chooseUndoTarget(twoRollbacks, 4, 3, true)).toEqual({ revision: 3 })
    expect(chooseUndoTarget(twoRollbacks, 4, 1, false)).toEqual({ revision: 1 })
  })

  it('a rolled-back revision retried and then promoted counts as healthy: the latest outcome decides', () => {
    const outcomes = revisionOutcomes([1, 2, 3], [initialized(1), rolledBack(2), promoted(2)], 2)
    expect(outcomes[1]).toEqual({ revision: 2, outcome: 'healthy' })
    expect(chooseUndoTarget(outcomes, 3, 2, false)).toEqual({ revision: 2 })
  })

  it('the serving stable revision is healthy even when its promotion is no longer in the events', () => {
    const outcomes = revisionOutcomes([5, 6, 7], [rolledBack(6), rolledBack(7)], 5)
    expect(chooseUndoTarget(outcomes, 7, undefined, false)).toEqual({ revision: 5 })
  })

  it('with no healthy revision but the current one, says so and lists the rolled-back ones', () => {
    const outcomes = revisionOutcomes([1, 2], [initialized(1), rolledBack(2)], 1)
    expect(chooseUndoTarget(outcomes, 1, undefined, false)).toEqual({
      problem: 'no-healthy-revision',
      rolledBack: [2],
    })
    expect(chooseUndoTarget(outcomes, 1, 9, false)).toEqual({
      problem: 'unknown-revision',
      revision: 9,
      known: [1, 2],
    })
  })
})
