/**
 * A monitoring outage during a release, through the real runner in the in-memory world: shorter
 * than errorGracePeriod it holds the release where it is and then goes on to promotion; longer, it
 * rolls back at the grace's end. A property: during an outage no tick promotes or advances.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { JudgeName } from '../analysis/types.js'
import { World } from '../controller/test-utils/world.js'
import type { CanaryStep, RolloutPlan } from './plan.js'
import { analysisPlan, canaryPlan, errorRateMetric } from './test-utils/plans.js'
import { propertyRuns } from '../test-utils/property-runs.js'

const DOWN = 'prometheus: connect ECONNREFUSED 127.0.0.1:9090'

const { count: _count, ...background } = errorRateMetric({ intervalSeconds: 1 })

/** A release of three weights and timed pauses, measured every second by a background analysis. */
function releasePlan(judge: JudgeName = 'limit', steps?: CanaryStep[]): RolloutPlan {
  return canaryPlan(
    steps ?? [
      { kind: 'setWeight', weight: 20 },
      { kind: 'pause', durationSeconds: 10 },
      { kind: 'setWeight', weight: 50 },
      { kind: 'pause', durationSeconds: 10 },
    ],
    {
      judge,
      analysis: analysisPlan({
        kind: 'background',
        judge,
        threshold: 3,
        metrics: [background],
      }),
    },
  )
}

/** A world whose provider is down while `down.now` is true. */
async function releasing(plan: RolloutPlan) {
  const down = { now: false }
  const w = new World(plan, () => (down.now ? { value: null, error: DOWN } : { value: 0.1 }))
  await w.tick()
  await w.runUntil((s) => s.phase === 'Healthy')
  w.release(2)
  await w.tick()
  return { w, down }
}

describe('monitoring outage during a release', () => {
  it('shorter than the grace: holds where it is, says so, then goes on to promotion', async () => {
    const { w, down } = await releasing(releasePlan())
    await w.runUntil((s) => s.traffic.canaryWeight === 20)
    await w.run(3)
    const before = { weight: w.status.traffic.canaryWeight, step: w.status.currentStepIndex }
    down.now = true
    const held: string[] = []
    for (let i = 0; i < 30; i++) {
      await w.run(1)
      expect(w.status.phase).toBe('Progressing')
      expect(w.status.traffic.canaryWeight).toBe(before.weight)
      expect(w.status.currentStepIndex).toBe(before.step)
      held.push(w.status.message)
    }
    expect(held.at(-1)).toMatch(
      /^monitoring unavailable for 2\d s of 60 s grace: holding \(error-rate: prometheus: connect ECONNREFUSED/,
    )
    expect(w.status.monitoringHold).toMatchObject({ metrics: ['error-rate'], graceSeconds: 60 })
    down.now = false
    await w.runUntil((s) => s.phase === 'Healthy', 120)
    expect(w.status.stableRevision).toBe(2)
    expect(w.status.monitoringHold).toBeNull()
    expect(w.weights()).toEqual([20, 50, 0])
    // One event as the hold began and one as it ended — not one per errored measurement.
    expect(w.events('MonitoringUnavailable')).toEqual([
      `MonitoringUnavailable: monitoring unavailable (error-rate: ${DOWN}): holding at 20% for up to 60 s; no promotion and no rollback meanwhile`,
    ])
    expect(w.events('MonitoringRestored')).toHaveLength(1)
    expect(w.events('MonitoringRestored')[0]).toMatch(
      /^MonitoringRestored: monitoring back after 3\d s \(error-rate\): going on from 20%$/,
    )
    expect(w.events('RolledBack')).toEqual([])
  })

  it('a timed pause does not run out during the hold: held time is given back to the step', async () => {
    const { w, down } = await releasing(releasePlan())
    await w.runUntil((s) => s.traffic.canaryWeight === 20)
    const pauseStarted = w.now
    await w.run(2)
    down.now = true
    await w.run(20)
    down.now = false
    await w.runUntil((s) => s.traffic.canaryWeight === 50, 60)
    // 10 s of pause + about 20 s held: the pause was not cut short by the outage.
    expect((w.now - pauseStarted) / 1000).toBeGreaterThanOrEqual(30)
  })

  for (const judge of ['limit', 'threshold'] as const) {
    it(`${judge}: longer than the grace rolls back at the grace's end`, async () => {
      const { w, down } = await releasing(releasePlan(judge))
      await w.runUntil((s) => s.traffic.canaryWeight === 20)
      down.now = true
      const outageAt = w.now
      await w.runUntil((s) => s.phase === 'RolledBack', 120)
      const rolledBack = w.sink.events.find((e) => e.reason === 'RolledBack')
      // The first errored measurement is asked for one tick after the outage begins; its answer
      // is folded the tick after. The rollback comes 60 s after that first error, not sooner.
      const seconds = ((rolledBack?.at ?? 0) - outageAt) / 1000
      expect(seconds).toBeGreaterThanOrEqual(60)
      expect(seconds).toBeLessThanOrEqual(62)
      expect(rolledBack).toMatchObject({ cause: 'BackgroundAnalysisFailed', canaryWeight: 20 })
      expect(w.status.message).toMatch(
        /monitoring unavailable for 60 s, errorGracePeriod 60 s; \d+ errors in a row, consecutiveErrorLimit 4/,
      )
      expect(w.events('MonitoringUnavailable')).toHaveLength(1)
      expect(w.events('MonitoringRestored')).toEqual([])
      expect(w.status.monitoringHold).toBeNull()
    })
  }
})

describe('property: during an outage no tick promotes or advances', () => {
  const stepArb: fc.Arbitrary<CanaryStep> = fc.oneof(
    fc.integer({ min: 1, max: 100 }).map((weight) => ({ kind: 'setWeight' as const, weight })),
    fc.integer({ min: 1, max: 20 }).map((d) => ({ kind: 'pause' as const, durationSeconds: d })),
    fc.constant<CanaryStep>({
      kind: 'analysis',
      analysis: analysisPlan({ metrics: [errorRateMetric({ intervalSeconds: 2, count: 2 })] }),
    }),
  )

  it('holds through any outage; shorter than the grace it promotes after, longer it rolls back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 6 }),
        fc.constantFrom<JudgeName>('limit', 'threshold'),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 120 }),
        async (steps, judge, startAfter, outageSeconds) => {
          const { w, down } = await releasing(releasePlan(judge, steps))
          await w.run(startAfter)
          if (w.status.phase !== 'Progressing') return
          down.now = true
          // When the first errored measurement was taken, once the engine has seen it.
          let firstError: number | null = null
          for (let i = 0; i < outageSeconds; i++) {
            const before = structuredClone(w.status)
            await w.run(1)
            const s = w.status
            firstError ??= s.monitoringHold?.since ?? null
            if (firstError === null) continue
            // Held: no step, no traffic change, no promotion; rolled back only past the grace.
            if (s.phase === 'RolledBack') {
              expect(w.now - firstError).toBeGreaterThanOrEqual(60_000)
              break
            }
            expect(s.phase).toBe('Progressing')
            expect(s.currentStepIndex).toBe(before.currentStepIndex)
            expect(s.traffic).toEqual(before.traffic)
            expect(s.stableRevision).toBe(1)
          }
          down.now = false
          await w.runUntil((s) => s.phase === 'Healthy' || s.phase === 'RolledBack', 600)
          if (outageSeconds < 59) {
            expect(w.status.phase).toBe('Healthy')
            expect(w.status.stableRevision).toBe(2)
          }
          // A release that ended before any errored answer came back never saw the outage.
          if (outageSeconds > 62 && firstError !== null) expect(w.status.phase).toBe('RolledBack')
          expect(w.events('MonitoringUnavailable').length).toBeLessThanOrEqual(1)
        },
      ),
      propertyRuns(60),
    )
  })
})
