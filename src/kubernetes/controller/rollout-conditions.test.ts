/** Conditions from the engine's status, as kubectl wait reads them. */
import { describe, expect, it } from 'vitest'
import { initialStatus } from '../../engine/status.js'
import { mergeConditions } from '../kit/conditions.js'
import { rolloutConditions, stepText } from './rollout-conditions.js'

const byType = (list: { type: string; status: string; reason: string }[]) =>
  Object.fromEntries(list.map((c) => [c.type, `${c.status}/${c.reason}`]))

describe('rollout conditions', () => {
  it('are Promoted only when the revision asked for is stable and healthy', () => {
    const s = initialStatus()
    s.phase = 'Healthy'
    s.revision = 2
    s.stableRevision = 2
    s.lastOutcome = {
      revision: 2,
      result: 'Promoted',
      at: 1,
      stepIndex: 3,
      canaryWeight: 50,
      reason: '',
    }
    expect(byType(rolloutConditions(s, []))).toMatchObject({
      Promoted: 'True/Promoted',
      Available: 'True/Healthy',
      Progressing: 'False/Healthy',
      SpecValid: 'True/Valid',
    })
    s.revision = 3
    s.phase = 'Progressing'
    s.canaryRevision = 3
    expect(byType(rolloutConditions(s, []))).toMatchObject({
      Promoted: 'False/Progressing',
      Progressing: 'True/Progressing',
    })
  })

  it("are Promoted only once the route sends stable's share to the primary", () => {
    const s = initialStatus()
    s.phase = 'Healthy'
    s.revision = 2
    s.stableRevision = 2
    expect(byType(rolloutConditions(s, [], false))).toMatchObject({
      Promoted: 'False/HandingOver',
      Available: 'True/Healthy',
    })
    expect(byType(rolloutConditions(s, [], true))).toMatchObject({ Promoted: 'True/Deployed' })
  })

  it('say why a rollout is rolled back, paused or invalid', () => {
    const s = initialStatus()
    s.phase = 'RolledBack'
    s.stableRevision = 1
    s.abort = { reason: 'x', at: 1, cause: 'AnalysisFailed' }
    expect(byType(rolloutConditions(s, ['spec.replicas: bad']))).toMatchObject({
      RolledBack: 'True/AnalysisFailed',
      SpecValid: 'False/InvalidSpec',
    })
    s.phase = 'Paused'
    s.pause = { reason: 'PauseStep', since: 1 }
    expect(byType(rolloutConditions(s, []))).toMatchObject({ Paused: 'True/PauseStep' })
  })

  it('keep the transition time while the status stays the same', () => {
    const first = mergeConditions(
      undefined,
      [{ type: 'A', status: 'True', reason: 'r', message: '' }],
      1000,
      1,
    )
    const same = mergeConditions(
      first,
      [{ type: 'A', status: 'True', reason: 'r2', message: 'm' }],
      9000,
      2,
    )
    expect(same[0]?.lastTransitionTime).toBe(first[0]?.lastTransitionTime)
    expect(same[0]?.observedGeneration).toBe(2)
    const flipped = mergeConditions(
      first,
      [{ type: 'A', status: 'False', reason: 'r', message: '' }],
      9000,
      2,
    )
    expect(flipped[0]?.lastTransitionTime).not.toBe(first[0]?.lastTransitionTime)
  })

  it('show the step as n/steps while a canary is in flight', () => {
    const s = initialStatus()
    expect(stepText(s, 4)).toBe('')
    s.canaryRevision = 2
    s.currentStepIndex = 2
    expect(stepText(s, 4)).toBe('3/4')
    s.currentStepIndex = 4
    expect(stepText(s, 4)).toBe('4/4')
  })
})
