/** Revision assignment: create, unchanged vs configured, revert to stable, and the next number. */
import { describe, expect, it } from 'vitest'
import { assignRevision } from './revisions.js'

const revisions = [
  { revision: 1, hash: 'blue' },
  { revision: 2, hash: 'green' },
  { revision: 3, hash: 'red' },
]

describe('assignRevision', () => {
  it('starts a new rollout at revision 1', () => {
    expect(
      assignRevision({ current: undefined, stable: null, revisions: [] }, 'blue', true),
    ).toEqual({ revision: 1, result: 'created' })
  })

  it('keeps the revision when the template is the current one', () => {
    const history = { current: 3, stable: 2, revisions }
    expect(assignRevision(history, 'red', false)).toEqual({ revision: 3, result: 'unchanged' })
    expect(assignRevision(history, 'red', true)).toEqual({ revision: 3, result: 'configured' })
  })

  it("reverts to stable's revision when the template is stable's", () => {
    expect(assignRevision({ current: 3, stable: 2, revisions }, 'green', true)).toEqual({
      revision: 2,
      result: 'reverted',
    })
  })

  it('numbers anything else after the highest revision, even one that was used long ago', () => {
    expect(assignRevision({ current: 3, stable: 2, revisions }, 'blue', true)).toEqual({
      revision: 4,
      result: 'new revision',
    })
    expect(assignRevision({ current: 3, stable: 2, revisions }, 'purple', true)).toEqual({
      revision: 4,
      result: 'new revision',
    })
  })
})
