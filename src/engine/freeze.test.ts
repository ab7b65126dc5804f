/**
 * `onFailure: freeze`: a failed analysis holds the release where it stands, says so at error
 * severity, and waits for a person — abort rolls back, promote promotes, retry runs the analysis
 * again — or for the progress deadline when the spec sets one.
 */
import { describe, expect, it } from 'vitest'
import type { AnalysisFailurePolicy } from '../analysis/types.js'
import { World } from '../controller/test-utils/world.js'
import { ConflictError } from '../errors.js'
import { noticeOf } from '../notify/notice.js'
import { wants } from '../notify/wants.js'
import { NOTIFIED_BY_DEFAULT } from '../spec/normalize/index.js'
import type { RolloutPlan } from './plan.js'
import { analysisPlan, canaryPlan } from './test-utils/plans.js'

/** 20% → analysis → 50% → analysis, the second analysis with `onFailure`. */
function plan(onFailure: AnalysisFailurePolicy, overrides: Partial<RolloutPlan> = {}) {
  return canaryPlan(
    [
      { kind: 'setWeight', weight: 20 },
      { kind: 'analysis', analysis: analysisPlan() },
      { kind: 'setWeight', weight: 50 },
      { kind: 'analysis', analysis: analysisPlan({ onFailure }) },
    ],
    overrides,
  )
}

/** A world whose canary is healthy until `fail()`, released as revision 2 and failing at 50%. */
async function frozenAt50(p: RolloutPlan) {
  let errorRate = 0.1
  const w = new World(p, () => ({ value: errorRate }))
  await w.tick()
  await w.runUntil((s) => s.phase === 'Healthy')
  w.release(2)
  await w.runUntil((s) => s.traffic.canaryWeight === 50 && s.currentStepIndex === 3, 120)
  errorRate = 7
  await w.runUntil((s) => s.phase !== 'Progressing', 60)
  return {
    w,
    heal: () => {
      errorRate = 0.1
    },
  }
}

const measuresIn = (w: World, from: number) =>
  w.log.slice(from).filter((a) => a.type === 'measure').length

describe('freeze instead of rollback', () => {
  it('holds the canary weight after a failed analysis, stops measuring and says so once at error severity', async () => {
    const { w } = await frozenAt50(plan('freeze'))
    expect(w.status.phase).toBe('Paused')
    expect(w.status.pause?.reason).toBe('Frozen')
    expect(w.status.message).toMatch(
      /^frozen at 50%: analysis failed at 50%: .* `kanari abort checkout` rolls back, `kanari promote checkout` promotes, `kanari retry checkout` runs the analysis again$/,
    )
    const logged = w.log.length
    // The default deadline (600 s) is not the spec's: a frozen release waits as long as it takes.
    await w.run(3600, 10)
    expect(w.status.phase).toBe('Paused')
    expect(w.status.traffic.canaryWeight).toBe(50)
    expect(w.status.replicas).toEqual({ '1': 3, '2': 3 })
    expect(w.log.slice(logged)).toEqual([])
    expect(measuresIn(w, logged)).toBe(0)
    expect(w.events('RolledBack')).toEqual([])
    expect(w.events('AnalysisFailed')).toHaveLength(1)
    const frozen = w.sink.events.filter((e) => e.reason === 'Paused' && e.pauseReason === 'Frozen')
    expect(frozen).toHaveLength(1)
    expect(frozen[0]).toMatchObject({ severity: 'error', canaryWeight: 50, revision: 2 })
    expect(frozen[0]).toHaveProperty('explanation', expect.stringMatching(/^analysis failed/))
  })

  it('is notified by default, to a notification that only wants errors, with the three commands', async () => {
    const { w } = await frozenAt50(plan('freeze'))
    const event = w.sink.events.find((e) => e.reason === 'Paused' && e.pauseReason === 'Frozen')
    if (event === undefined) throw new Error('no Frozen event')
    const errorsOnly = {
      name: 'pager',
      provider: 'webhook' as const,
      urlFrom: { env: 'PAGER_URL' },
      severity: 'error' as const,
      events: [...NOTIFIED_BY_DEFAULT],
      timeoutSeconds: 5,
      retries: 0,
    }
    expect(wants(errorsOnly, event)).toBe(true)
    const notice = noticeOf('checkout', 'pager', event)
    expect(notice.explanation).toMatch(/^analysis failed at 50%/)
    expect(notice).toMatchObject({
      severity: 'error',
      title: 'checkout: revision 2 frozen at 50% after a failed analysis',
      next: 'traffic stays where it is until you decide: `kanari abort checkout` rolls back, `kanari promote checkout` promotes, `kanari retry checkout` runs the analysis again',
    })
  })

  it('rolls back on the same failure without it (the default)', async () => {
    const { w } = await frozenAt50(plan('rollback'))
    expect(w.status.phase).toBe('RolledBack')
    expect(w.status.traffic.canaryWeight).toBe(0)
  })

  it('abort rolls a frozen release back', async () => {
    const { w } = await frozenAt50(plan('freeze'))
    await w.run(30)
    await w.command({ type: 'abort' })
    await w.tick()
    expect(w.status.phase).toBe('RolledBack')
    expect(w.status.traffic.canaryWeight).toBe(0)
    expect(w.sink.events.find((e) => e.reason === 'RolledBack')).toMatchObject({
      cause: 'UserAbort',
      canaryWeight: 50,
    })
  })

  it('promote promotes a frozen release at once, over its failed analysis', async () => {
    const { w } = await frozenAt50(plan('freeze'))
    await w.command({ type: 'promote' })
    await w.runUntil((s) => s.phase === 'Healthy', 30)
    expect(w.status.stableRevision).toBe(2)
    expect(w.status.lastOutcome).toMatchObject({ result: 'Promoted', revision: 2 })
    expect(w.weights()).toEqual([20, 50, 0])
    expect(w.events('RolledBack')).toEqual([])
  })

  it('retry runs the failed analysis again at the same weight; passing, the steps go on', async () => {
    const { w, heal } = await frozenAt50(plan('freeze'))
    const started = w.events('AnalysisStarted').length
    heal()
    await w.command({ type: 'retry' })
    expect(w.status.phase).toBe('Progressing')
    await w.tick()
    expect(w.events('AnalysisStarted')).toHaveLength(started + 1)
    expect(w.events('AnalysisStarted').at(-1)).toMatch(/analysis of step 4 started/)
    await w.runUntil((s) => s.phase === 'Healthy', 120)
    expect(w.status.stableRevision).toBe(2)
    expect(w.weights()).toEqual([20, 50, 0])
    expect(w.events('RolledBack')).toEqual([])
  })

  it('retry that fails again freezes again', async () => {
    const { w } = await frozenAt50(plan('freeze'))
    await w.command({ type: 'retry' })
    await w.runUntil((s) => s.phase !== 'Progressing', 60)
    expect(w.status.pause?.reason).toBe('Frozen')
    expect(w.events('AnalysisFailed')).toHaveLength(2)
    expect(w.status.traffic.canaryWeight).toBe(50)
  })

  it('resume is refused with the three ways out', async () => {
    const { w } = await frozenAt50(plan('freeze'))
    const refused = await w.command({ type: 'resume' }).then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(refused).toBeInstanceOf(ConflictError)
    expect((refused as ConflictError).hint).toMatch(
      /`kanari retry checkout`.*`kanari promote checkout`.*abort/,
    )
    expect(w.status.pause?.reason).toBe('Frozen')
  })

  it('a progress deadline the spec sets still rolls back, counted from the freeze', async () => {
    const { w } = await frozenAt50(plan('freeze', { frozenDeadlineSeconds: 120 }))
    await w.run(110, 10)
    expect(w.status.pause?.reason).toBe('Frozen')
    await w.run(20, 10)
    expect(w.status.phase).toBe('RolledBack')
    expect(w.status.traffic.canaryWeight).toBe(0)
    expect(w.sink.events.find((e) => e.reason === 'RolledBack')).toMatchObject({
      cause: 'ProgressDeadline',
      severity: 'error',
    })
    expect(w.events('ProgressDeadlineExceeded')).toHaveLength(1)
  })

  it('each analysis has its own choice: a rollback analysis in a freezing release rolls back', async () => {
    const p = canaryPlan([
      { kind: 'setWeight', weight: 20 },
      { kind: 'analysis', analysis: analysisPlan({ onFailure: 'rollback' }) },
      { kind: 'setWeight', weight: 50 },
      { kind: 'analysis', analysis: analysisPlan({ onFailure: 'freeze' }) },
    ])
    const w = new World(p, () => ({ value: 7 }))
    await w.tick()
    await w.runUntil((s) => s.phase === 'Healthy')
    w.release(2)
    await w.runUntil((s) => s.phase === 'RolledBack', 120)
    expect(w.status.lastOutcome).toMatchObject({ stepIndex: 1, canaryWeight: 20 })
  })

  it('a failed background analysis that freezes holds too, and retry starts it over', async () => {
    const background = analysisPlan({ kind: 'background', onFailure: 'freeze' })
    const p = canaryPlan(
      [
        { kind: 'setWeight', weight: 30 },
        { kind: 'pause', durationSeconds: 60 },
      ],
      { analysis: background },
    )
    let errorRate = 0.1
    const w = new World(p, () => ({ value: errorRate }))
    await w.tick()
    await w.runUntil((s) => s.phase === 'Healthy')
    w.release(2)
    await w.runUntil((s) => s.traffic.canaryWeight === 30, 60)
    errorRate = 7
    await w.runUntil((s) => s.phase === 'Paused', 60)
    expect(w.status.pause?.reason).toBe('Frozen')
    expect(w.status.message).toMatch(/^frozen at 30%: background analysis failed/)
    await w.run(600, 10)
    expect(w.status.traffic.canaryWeight).toBe(30)
    expect(w.events('AnalysisFailed')).toHaveLength(1)
    errorRate = 0.1
    await w.command({ type: 'retry' })
    expect(w.status.analyses.background?.phase).toBe('Running')
    await w.runUntil((s) => s.phase === 'Healthy', 200)
    expect(w.status.stableRevision).toBe(2)
  })
})
