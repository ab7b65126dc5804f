import { describe, expect, it } from 'vitest'
import { reconcile } from './reconcile.js'
import { analysisPlan, blueGreenPlan, canaryPlan, rollingPlan } from './test-utils/plans.js'
import { World } from './test-utils/world.js'
import { ConflictError } from '../errors.js'

const healthy = () => ({ value: 0.1 })

/** Deploys revision 1 and waits until it is Healthy. */
function deployed(world: World): World {
  world.tick()
  world.runUntil((s) => s.phase === 'Healthy')
  return world
}

describe('first revision', () => {
  it('deploys without steps and becomes Healthy once ready', () => {
    const w = new World(canaryPlan([{ kind: 'setWeight', weight: 50 }]))
    w.readyDelayTicks = 3
    const actions = w.tick()
    expect(actions).toContainEqual({ type: 'scale', revision: 1, replicas: 3 })
    expect(w.status.phase).toBe('Initializing')
    w.run(2)
    expect(w.status.phase).toBe('Initializing')
    w.run(2)
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

  it('walks the steps tick by tick, pauses until promoted, then promotes', () => {
    const w = deployed(new World(canaryPlan([...steps])))
    w.readyDelayTicks = 2
    w.release(2)
    let actions = w.tick()
    expect(w.status.phase).toBe('Progressing')
    expect(w.status.canaryRevision).toBe(2)
    expect(actions).toContainEqual({ type: 'scale', revision: 2, replicas: 3 })
    expect(actions.some((a) => a.type === 'setTraffic' && a.traffic.canaryWeight > 0)).toBe(false)
    expect(w.status.message).toMatch(/waiting for canary replicas/)

    w.run(2) // replicas ready
    expect(w.status.traffic.canaryWeight).toBe(20)
    expect(w.status.currentStepIndex).toBe(1)
    w.run(9)
    expect(w.status.traffic.canaryWeight).toBe(20)
    w.run(2)
    expect(w.status.traffic.canaryWeight).toBe(50)
    expect(w.status.phase).toBe('Paused')
    expect(w.status.pause?.reason).toBe('PauseStep')
    w.run(100)
    expect(w.status.phase).toBe('Paused')

    w.command({ type: 'promote' })
    actions = w.tick()
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
    w.run(29)
    expect(w.desired.get(1)).toBe(3)
    w.run(2)
    expect(w.desired.get(1)).toBe(0)
    expect(w.weights()).toEqual([20, 50, 0])
  })

  it('abort sends all traffic back to stable at once and scales the canary down later', () => {
    const w = deployed(new World(canaryPlan([...steps])))
    w.release(2)
    w.run(15)
    expect(w.status.traffic.canaryWeight).toBe(50)
    w.command({ type: 'abort' })
    const actions = w.tick()
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
    w.run(31)
    expect(w.desired.get(2)).toBe(0)
    expect(w.desired.get(1)).toBe(3)
  })

  it('retry restarts a rolled-back canary from the first step', () => {
    const w = deployed(new World(canaryPlan([...steps])))
    w.release(2)
    w.run(5)
    w.command({ type: 'abort' })
    w.tick()
    expect(() => w.command({ type: 'promote' })).toThrow(ConflictError)
    w.command({ type: 'retry' })
    w.tick()
    expect(w.status.phase).toBe('Progressing')
    expect(w.status.currentStepIndex).toBe(1)
    expect(w.status.traffic.canaryWeight).toBe(20)
    expect(w.desired.get(2)).toBe(3)
  })

  it('a new revision mid-rollout replaces the canary and starts over', () => {
    const w = deployed(new World(canaryPlan([...steps])))
    w.release(2)
    w.run(15)
    w.release(3)
    const actions = w.tick()
    expect(actions).toContainEqual({ type: 'scale', revision: 2, replicas: 0 })
    expect(actions).toContainEqual({ type: 'scale', revision: 3, replicas: 3 })
    expect(w.status.canaryRevision).toBe(3)
    expect(w.status.stableRevision).toBe(1)
    // traffic leaves the replaced canary at once, and reaches the new one only when it is ready
    expect(w.status.traffic).toMatchObject({ canaryRevision: 3, canaryWeight: 0 })
    w.run(1)
    expect(w.status.traffic.canaryWeight).toBe(20)
    expect(w.status.currentStepIndex).toBe(1)
  })

  it('going back to the stable template drops the canary without steps', () => {
    const w = deployed(new World(canaryPlan([...steps])))
    w.release(2)
    w.run(5)
    w.release(1)
    w.tick()
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.canaryRevision).toBeNull()
    expect(w.desired.get(2)).toBe(0)
    expect(w.status.traffic.canaryWeight).toBe(0)
  })

  it('rolls back a crash-looping canary instead of waiting for it', () => {
    const w = deployed(new World(canaryPlan([...steps])))
    w.readyDelayTicks = 1000
    w.release(2)
    w.run(5)
    expect(w.status.phase).toBe('Progressing')
    w.crashLooping.add(2)
    w.tick()
    expect(w.status.phase).toBe('RolledBack')
    expect(w.status.message).toMatch(/crash-looping/)
  })

  it('rolls back when the canary makes no progress before the deadline', () => {
    const w = deployed(new World(canaryPlan([...steps], { progressDeadlineSeconds: 60 })))
    w.readyDelayTicks = 100_000
    w.release(2)
    w.run(60)
    expect(w.status.phase).toBe('Progressing')
    w.run(2)
    expect(w.status.phase).toBe('RolledBack')
    expect(w.status.message).toMatch(/progress deadline/)
  })

  it('pause and resume hold the current step', () => {
    const w = deployed(new World(canaryPlan([...steps])))
    w.release(2)
    w.run(3)
    w.command({ type: 'pause' })
    w.run(30)
    expect(w.status.phase).toBe('Paused')
    expect(w.status.pause?.reason).toBe('UserPause')
    expect(w.status.traffic.canaryWeight).toBe(20)
    expect(() => w.command({ type: 'promote' })).toThrow(/resume/)
    w.command({ type: 'resume' })
    w.tick()
    // the 10s pause had run out while paused, so it moves on to 50% and the indefinite pause
    expect(w.status.traffic.canaryWeight).toBe(50)
    expect(w.status.pause?.reason).toBe('PauseStep')
  })

  it('promote --full skips the remaining steps', () => {
    const w = deployed(new World(canaryPlan([...steps])))
    w.release(2)
    w.run(3)
    w.command({ type: 'promote', full: true })
    w.tick()
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.stableRevision).toBe(2)
  })

  it('header routes and mirroring go to the router and are cleared on promotion', () => {
    const w = deployed(
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
    w.tick()
    // nothing is routed to the canary before its replicas are ready
    expect(w.status.traffic.headerRoutes).toEqual([])
    expect(w.status.message).toMatch(/waiting for canary replicas before routing header beta/)
    w.tick()
    expect(w.status.traffic.headerRoutes).toEqual([
      { name: 'beta', match: [{ headerName: 'x-beta', headerValue: { exact: '1' } }] },
    ])
    expect(w.status.traffic.mirror).toEqual({ name: 'shadow', percentage: 50, match: [] })
    expect(w.status.traffic.canaryWeight).toBe(0)
    w.command({ type: 'promote' })
    w.tick()
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.traffic.headerRoutes).toEqual([])
    expect(w.status.traffic.mirror).toBeNull()
  })

  it('an analysis step passes on good measurements and rolls back on bad ones', () => {
    const plan = canaryPlan([
      { kind: 'setWeight', weight: 10 },
      { kind: 'analysis', analysis: analysisPlan() },
      { kind: 'setWeight', weight: 50 },
      { kind: 'analysis', analysis: analysisPlan() },
    ])
    const good = deployed(new World(plan, healthy))
    good.release(2)
    good.tick()
    good.runUntil((s) => s.phase === 'Healthy')
    expect(good.status.stableRevision).toBe(2)
    expect(good.weights()).toEqual([10, 50, 0])

    let errorRate = 0.1
    const bad = deployed(new World(plan, () => ({ value: errorRate })))
    bad.release(2)
    bad.run(14)
    expect(bad.status.traffic.canaryWeight).toBe(50)
    errorRate = 7
    bad.runUntil((s) => s.phase === 'RolledBack', 60)
    expect(bad.status.lastOutcome).toMatchObject({
      result: 'RolledBack',
      canaryWeight: 50,
      stepIndex: 3,
    })
    expect(bad.status.traffic.canaryWeight).toBe(0)
  })

  it('re-running a tick with the same observations emits nothing new', () => {
    const plan = canaryPlan([
      { kind: 'setWeight', weight: 10 },
      { kind: 'analysis', analysis: analysisPlan() },
      { kind: 'pause', durationSeconds: 5 },
    ])
    const w = deployed(new World(plan, healthy))
    w.release(2)
    for (let i = 0; i < 40; i++) {
      w.now += 1000
      const obs = w.observations()
      const first = reconcile(w.plan, w.status, obs, w.now)
      const again = reconcile(w.plan, first.status, obs, w.now)
      expect(again.actions).toEqual([])
      expect(again.status).toEqual(first.status)
      w.tick()
    }
  })
})

describe('blue-green', () => {
  it('brings up a preview reachable by header, then switches all traffic at once', () => {
    const w = deployed(new World(blueGreenPlan({ autoPromotionSeconds: 20 })))
    w.release(2)
    w.tick()
    expect(w.status.traffic.canaryWeight).toBe(0)
    // the preview header reaches it only once it is ready
    expect(w.status.traffic.headerRoutes).toEqual([])
    w.tick()
    expect(w.status.traffic.headerRoutes[0]?.match[0]).toMatchObject({
      headerName: 'x-kanari-preview',
    })
    w.run(19)
    expect(w.status.stableRevision).toBe(1)
    w.run(2)
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
  })

  it('waits for promote when auto-promotion is off', () => {
    const w = deployed(new World(blueGreenPlan({ autoPromotionEnabled: false })))
    w.release(2)
    w.run(30)
    expect(w.status.phase).toBe('Paused')
    expect(w.status.pause?.reason).toBe('WaitingPromotion')
    w.command({ type: 'promote' })
    w.tick()
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.stableRevision).toBe(2)
  })

  it('a failed pre-promotion analysis leaves the active revision serving', () => {
    const w = deployed(
      new World(
        blueGreenPlan({ prePromotionAnalysis: analysisPlan({ kind: 'prePromotion' }) }),
        () => ({ value: 50 }),
      ),
    )
    w.release(2)
    w.runUntil((s) => s.phase === 'RolledBack', 120)
    expect(w.status.stableRevision).toBe(1)
    expect(w.weights().every((x) => x === 0)).toBe(true)
  })
})

describe('rolling', () => {
  it('replaces replicas within maxSurge and never drops below availability', () => {
    const w = deployed(new World(rollingPlan({ maxSurge: 1, maxUnavailable: 0 })))
    w.readyDelayTicks = 2
    w.release(2)
    w.tick()
    expect(w.status.phase).toBe('Progressing')
    for (let i = 0; i < 60 && w.status.phase !== 'Healthy'; i++) {
      w.now += 1000
      w.tick()
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
