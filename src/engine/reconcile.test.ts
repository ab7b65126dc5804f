import { describe, expect, it } from 'vitest'
import { reconcile } from './reconcile.js'
import {
  analysisPlan,
  blueGreenPlan,
  canaryPlan,
  errorRateMetric,
  rollingPlan,
} from './test-utils/plans.js'
import { builtinMetricValue } from '../analysis/measurement.js'
import { emptyVersionTraffic, recordRequest } from '../analysis/traffic.js'
import { World } from '../controller/test-utils/world.js'
import { ConflictError } from '../errors.js'

const healthy = () => ({ value: 0.1 })

/** Deploys revision 1 and waits until it is Healthy. */
async function deployed(world: World): Promise<World> {
  await world.tick()
  await world.runUntil((s) => s.phase === 'Healthy')
  return world
}

describe('first revision', () => {
  it('deploys without steps and becomes Healthy once ready', async () => {
    const w = new World(canaryPlan([{ kind: 'setWeight', weight: 50 }]))
    w.readyDelayTicks = 3
    const actions = await w.tick()
    expect(actions).toContainEqual({ type: 'scale', revision: 1, replicas: 3 })
    expect(w.status.phase).toBe('Initializing')
    await w.run(2)
    expect(w.status.phase).toBe('Initializing')
    await w.run(2)
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.stableRevision).toBe(1)
    expect(w.events('Initialized')).toHaveLength(1)
  })
})

describe('canary', () => {
  const steps = [
    { kind: 'setWeight', weight: 20 },
    { kind: 'pause', durationSeconds: 10 },
    { kind: 'setWeight', weight: 50 },
    { kind: 'pause' },
  ] as const

  it('walks the steps tick by tick, pauses until promoted, then promotes', async () => {
    const w = await deployed(new World(canaryPlan([...steps])))
    w.readyDelayTicks = 2
    w.release(2)
    let actions = await w.tick()
    expect(w.status.phase).toBe('Progressing')
    expect(w.status.canaryRevision).toBe(2)
    expect(actions).toContainEqual({ type: 'scale', revision: 2, replicas: 3 })
    expect(actions.some((a) => a.type === 'setTraffic' && a.traffic.canaryWeight > 0)).toBe(false)
    expect(w.status.message).toMatch(/waiting for canary replicas/)

    await w.run(2) // replicas ready
    expect(w.status.traffic.canaryWeight).toBe(20)
    expect(w.status.currentStepIndex).toBe(1)
    await w.run(9)
    expect(w.status.traffic.canaryWeight).toBe(20)
    await w.run(2)
    expect(w.status.traffic.canaryWeight).toBe(50)
    expect(w.status.phase).toBe('Paused')
    expect(w.status.pause?.reason).toBe('PauseStep')
    await w.run(100)
    expect(w.status.phase).toBe('Paused')

    await w.command({ type: 'promote' })
    actions = await w.tick()
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.stableRevision).toBe(2)
    expect(w.status.canaryRevision).toBeNull()
    expect(w.status.traffic).toEqual({
      stableRevision: 2,
      canaryRevision: null,
      canaryWeight: 0,
      headerRoutes: [],
      mirror: null,
    })
    expect(w.status.lastOutcome?.result).toBe('Promoted')
    // the old stable stays up for scaleDownDelaySeconds, then goes
    expect(actions.some((a) => a.type === 'scale' && a.revision === 1)).toBe(false)
    await w.run(29)
    expect(w.desired.get(1)).toBe(3)
    await w.run(2)
    expect(w.desired.get(1)).toBe(0)
    expect(w.weights()).toEqual([20, 50, 0])
  })

  it('abort sends all traffic back to stable at once and scales the canary down later', async () => {
    const w = await deployed(new World(canaryPlan([...steps])))
    w.release(2)
    await w.run(15)
    expect(w.status.traffic.canaryWeight).toBe(50)
    await w.command({ type: 'abort' })
    const actions = await w.tick()
    expect(w.status.phase).toBe('RolledBack')
    expect(actions[0]).toMatchObject({
      type: 'setTraffic',
      traffic: { canaryWeight: 0, headerRoutes: [], mirror: null },
    })
    expect(w.status.lastOutcome).toMatchObject({
      result: 'RolledBack',
      canaryWeight: 50,
      reason: 'aborted by user',
    })
    expect(w.desired.get(2)).toBe(3)
    await w.run(31)
    expect(w.desired.get(2)).toBe(0)
    expect(w.desired.get(1)).toBe(3)
  })

  it('retry restarts a rolled-back canary from the first step', async () => {
    const w = await deployed(new World(canaryPlan([...steps])))
    w.release(2)
    await w.run(5)
    await w.command({ type: 'abort' })
    await w.tick()
    const refused = await w.command({ type: 'promote' }).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(ConflictError)
    expect((refused as ConflictError).message).toMatch(
      /^cannot promote rollout \S+: it is RolledBack/,
    )
    expect((refused as ConflictError).hint).toMatch(/`retry` restarts the rolled-back revision/)
    await w.command({ type: 'retry' })
    await w.tick()
    expect(w.status.phase).toBe('Progressing')
    expect(w.status.currentStepIndex).toBe(1)
    expect(w.status.traffic.canaryWeight).toBe(20)
    expect(w.desired.get(2)).toBe(3)
  })

  it('a new revision mid-rollout replaces the canary and starts over', async () => {
    const w = await deployed(new World(canaryPlan([...steps])))
    w.release(2)
    await w.run(15)
    w.release(3)
    const actions = await w.tick()
    expect(actions).toContainEqual({ type: 'scale', revision: 2, replicas: 0 })
    expect(actions).toContainEqual({ type: 'scale', revision: 3, replicas: 3 })
    expect(w.status.canaryRevision).toBe(3)
    expect(w.status.stableRevision).toBe(1)
    // traffic leaves the replaced canary at once, and reaches the new one only when it is ready
    expect(w.status.traffic).toMatchObject({ canaryRevision: 3, canaryWeight: 0 })
    await w.run(1)
    expect(w.status.traffic.canaryWeight).toBe(20)
    expect(w.status.currentStepIndex).toBe(1)
  })

  it('going back to the stable template drops the canary without steps', async () => {
    const w = await deployed(new World(canaryPlan([...steps])))
    w.release(2)
    await w.run(5)
    w.release(1)
    await w.tick()
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.canaryRevision).toBeNull()
    expect(w.desired.get(2)).toBe(0)
    expect(w.status.traffic.canaryWeight).toBe(0)
  })

  it('rolls back a crash-looping canary instead of waiting for it', async () => {
    const w = await deployed(new World(canaryPlan([...steps])))
    w.readyDelayTicks = 1000
    w.release(2)
    await w.run(5)
    expect(w.status.phase).toBe('Progressing')
    w.crashLooping.add(2)
    await w.tick()
    expect(w.status.phase).toBe('RolledBack')
    expect(w.status.message).toMatch(/crash-looping/)
  })

  it('rolls back when the canary makes no progress before the deadline', async () => {
    const w = await deployed(new World(canaryPlan([...steps], { progressDeadlineSeconds: 60 })))
    w.readyDelayTicks = 100_000
    w.release(2)
    await w.run(60)
    expect(w.status.phase).toBe('Progressing')
    await w.run(2)
    expect(w.status.phase).toBe('RolledBack')
    expect(w.status.message).toMatch(/progress deadline/)
  })

  it('pause and resume hold the current step', async () => {
    const w = await deployed(new World(canaryPlan([...steps])))
    w.release(2)
    await w.run(3)
    await w.command({ type: 'pause' })
    await w.run(30)
    expect(w.status.phase).toBe('Paused')
    expect(w.status.pause?.reason).toBe('UserPause')
    expect(w.status.traffic.canaryWeight).toBe(20)
    await expect(w.command({ type: 'promote' })).rejects.toThrow(/resume/)
    await w.command({ type: 'resume' })
    await w.tick()
    // the 10s pause had run out while paused, so it moves on to 50% and the indefinite pause
    expect(w.status.traffic.canaryWeight).toBe(50)
    expect(w.status.pause?.reason).toBe('PauseStep')
  })

  it('promote --full skips the remaining steps', async () => {
    const w = await deployed(new World(canaryPlan([...steps])))
    w.release(2)
    await w.run(3)
    await w.command({ type: 'promote', full: true })
    await w.tick()
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.stableRevision).toBe(2)
  })

  it('header routes and mirroring go to the router and are cleared on promotion', async () => {
    const w = await deployed(
      new World(
        canaryPlan([
          {
            kind: 'setHeaderRoute',
            name: 'beta',
            match: [{ headerName: 'x-beta', headerValue: { exact: '1' } }],
          },
          { kind: 'setMirrorRoute', name: 'shadow', percentage: 50, match: [] },
          { kind: 'pause' },
        ]),
      ),
    )
    w.release(2)
    await w.tick()
    // nothing is routed to the canary before its replicas are ready
    expect(w.status.traffic.headerRoutes).toEqual([])
    expect(w.status.message).toMatch(/waiting for canary replicas before routing header beta/)
    await w.tick()
    expect(w.status.traffic.headerRoutes).toEqual([
      { name: 'beta', match: [{ headerName: 'x-beta', headerValue: { exact: '1' } }] },
    ])
    expect(w.status.traffic.mirror).toEqual({ name: 'shadow', percentage: 50, match: [] })
    expect(w.status.traffic.canaryWeight).toBe(0)
    await w.command({ type: 'promote' })
    await w.tick()
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.traffic.headerRoutes).toEqual([])
    expect(w.status.traffic.mirror).toBeNull()
  })

  it('an analysis step passes on good measurements and rolls back on bad ones', async () => {
    const plan = canaryPlan([
      { kind: 'setWeight', weight: 10 },
      { kind: 'analysis', analysis: analysisPlan() },
      { kind: 'setWeight', weight: 50 },
      { kind: 'analysis', analysis: analysisPlan() },
    ])
    const good = await deployed(new World(plan, healthy))
    good.release(2)
    await good.tick()
    await good.runUntil((s) => s.phase === 'Healthy')
    expect(good.status.stableRevision).toBe(2)
    expect(good.weights()).toEqual([10, 50, 0])

    let errorRate = 0.1
    const bad = await deployed(new World(plan, () => ({ value: errorRate })))
    bad.release(2)
    await bad.run(14)
    expect(bad.status.traffic.canaryWeight).toBe(50)
    errorRate = 7
    await bad.runUntil((s) => s.phase === 'RolledBack', 60)
    expect(bad.status.lastOutcome).toMatchObject({
      result: 'RolledBack',
      canaryWeight: 50,
      stepIndex: 3,
    })
    expect(bad.status.traffic.canaryWeight).toBe(0)
    // the failed run is found by its fields, and events name it as people do
    const failed = bad.sink.events.find((e) => e.reason === 'AnalysisFailed')
    expect(failed).toMatchObject({ run: { kind: 'step', stepIndex: 3 }, phase: 'Failed' })
    // only the sequential judge has evidence to carry
    expect(failed).not.toHaveProperty('evidence')
    expect(bad.events('AnalysisStarted')).toContainEqual(
      expect.stringMatching(/^AnalysisStarted: analysis of step 4 started \(limit judge/),
    )
    expect(bad.sink.events.find((e) => e.reason === 'RolledBack')).toMatchObject({
      cause: 'AnalysisFailed',
      canaryWeight: 50,
    })
  })

  it('no data means no promotion: timed pauses with a background analysis short of its sample wait, and a failing canary is rolled back', async () => {
    // The steps end after 20s; at 1 canary request in 5s the background analysis has 4 of the
    // 50 canary requests it needs by then. The canary fails 40% of its requests.
    const background = analysisPlan({
      kind: 'background',
      judge: 'sequential',
      minCanaryRequests: 50,
      metrics: [errorRateMetric({ intervalSeconds: 5, thresholdRange: { max: 5 } })],
    })
    const plan = canaryPlan(
      [
        { kind: 'setWeight', weight: 20 },
        { kind: 'pause', durationSeconds: 10 },
        { kind: 'setWeight', weight: 50 },
        { kind: 'pause', durationSeconds: 10 },
      ],
      { analysis: background },
    )
    let seen = 0
    const w = await deployed(
      new World(plan, ({ from, to }) => {
        const canary = emptyVersionTraffic()
        const stable = emptyVersionTraffic()
        for (let i = 0; i < Math.max(1, Math.round((to - from) / 5000)); i++)
          recordRequest(canary, ++seen % 5 < 2 ? 500 : 200, 50)
        for (let i = 0; i < 2; i++) recordRequest(stable, 200, 50)
        const sample = { from, to, canary, stable }
        return { value: builtinMetricValue('error-rate', sample), traffic: sample }
      }),
    )
    w.release(2)
    const messages: string[] = []
    for (let i = 0; i < 300 && w.status.phase !== 'RolledBack'; i++) {
      await w.run(1)
      messages.push(w.status.message)
      expect(w.status.phase).not.toBe('Healthy')
    }
    expect(messages).toContainEqual(
      expect.stringMatching(/^waiting for background analysis data before going past step 2: /),
    )
    expect(w.status.phase).toBe('RolledBack')
    expect(w.status.stableRevision).toBe(1)
    expect(w.events('Promoted')).toEqual([])
    expect(w.sink.events.find((e) => e.reason === 'RolledBack')).toMatchObject({
      cause: 'BackgroundAnalysisFailed',
    })
    expect(w.status.lastOutcome).toMatchObject({ revision: 2, result: 'RolledBack' })
    expect(w.status.lastOutcome?.reason).toMatch(/^background analysis failed: canary error rate/)
    // The verdict carries the sequential judge's evidence as the run ended: it crossed its bound.
    const failed = w.sink.events.find((e) => e.reason === 'AnalysisFailed')
    if (failed?.reason !== 'AnalysisFailed') throw new Error('no AnalysisFailed event')
    expect(failed.evidence?.map((e) => e.metric)).toEqual(['error-rate'])
    const [evidence] = failed.evidence ?? []
    expect(evidence?.logLikelihoodRatio).toBeGreaterThanOrEqual(evidence?.logBound ?? Infinity)
  })

  it('re-running a tick with the same observations emits nothing new', async () => {
    const plan = canaryPlan([
      { kind: 'setWeight', weight: 10 },
      { kind: 'analysis', analysis: analysisPlan() },
      { kind: 'pause', durationSeconds: 5 },
    ])
    const w = await deployed(new World(plan, healthy))
    w.release(2)
    for (let i = 0; i < 40; i++) {
      w.now += 1000
      const obs = w.observations()
      const first = reconcile(w.plan, w.status, obs, w.now)
      const again = reconcile(w.plan, first.status, obs, w.now)
      expect(again.actions).toEqual([])
      expect(again.status).toEqual(first.status)
      await w.tick()
    }
  })
})

describe('blue-green', () => {
  it('brings up a preview reachable by header, then switches all traffic at once', async () => {
    const w = await deployed(new World(blueGreenPlan({ autoPromotionSeconds: 20 })))
    w.release(2)
    await w.tick()
    expect(w.status.traffic.canaryWeight).toBe(0)
    // the preview header reaches it only once it is ready
    expect(w.status.traffic.headerRoutes).toEqual([])
    await w.tick()
    expect(w.status.traffic.headerRoutes[0]?.match[0]).toMatchObject({
      headerName: 'x-kanari-preview',
    })
    await w.run(19)
    expect(w.status.stableRevision).toBe(1)
    await w.run(2)
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.stableRevision).toBe(2)
    // one switch: no setTraffic ever split users between the two
    const switches = w.log.flatMap((a) => (a.type === 'setTraffic' ? [a.traffic] : []))
    expect(switches.every((t) => t.canaryWeight === 0 || t.canaryWeight === 100)).toBe(true)
    expect(switches.at(-1)).toMatchObject({
      stableRevision: 2,
      canaryRevision: null,
      canaryWeight: 0,
      headerRoutes: [],
    })
    // people read "preview", and the stage is its own field
    expect(w.events('TrafficShifted')).toEqual(['TrafficShifted: preview weight 0% → 100%'])
    expect(w.sink.events.find((e) => e.reason === 'StepCompleted')).toMatchObject({
      step: { kind: 'previewApproved' },
    })
    expect(w.status.currentStepIndex).toBe(0)
  })

  it('waits for promote when auto-promotion is off', async () => {
    const w = await deployed(new World(blueGreenPlan({ autoPromotionEnabled: false })))
    w.release(2)
    await w.run(30)
    expect(w.status.phase).toBe('Paused')
    expect(w.status.pause?.reason).toBe('WaitingPromotion')
    await w.command({ type: 'promote' })
    await w.tick()
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.stableRevision).toBe(2)
  })

  it('a failed pre-promotion analysis leaves the active revision serving', async () => {
    const w = await deployed(
      new World(
        blueGreenPlan({ prePromotionAnalysis: analysisPlan({ kind: 'prePromotion' }) }),
        () => ({ value: 50 }),
      ),
    )
    w.release(2)
    await w.runUntil((s) => s.phase === 'RolledBack', 120)
    expect(w.status.stableRevision).toBe(1)
    expect(w.weights().every((x) => x === 0)).toBe(true)
  })
})

describe('rolling', () => {
  it('replaces replicas within maxSurge and never drops below availability', async () => {
    const w = await deployed(new World(rollingPlan({ maxSurge: 1, maxUnavailable: 0 })))
    w.readyDelayTicks = 2
    w.release(2)
    await w.tick()
    expect(w.status.phase).toBe('Progressing')
    for (let i = 0; i < 60 && w.status.phase !== 'Healthy'; i++) {
      w.now += 1000
      await w.tick()
      const obs = w.observations()
      const ready = (obs.versions['1']?.ready ?? 0) + (obs.versions['2']?.ready ?? 0)
      const desired = (w.desired.get(1) ?? 0) + (w.desired.get(2) ?? 0)
      expect(ready).toBeGreaterThanOrEqual(3)
      expect(desired).toBeLessThanOrEqual(4)
    }
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.stableRevision).toBe(2)
    expect(w.desired.get(1)).toBe(0)
    expect(w.desired.get(2)).toBe(3)
  })
})
