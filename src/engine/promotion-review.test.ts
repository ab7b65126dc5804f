/**
 * The opt-in advisor gate tick by tick: agreement and no answer promote (the latter after the
 * timeout), disagreement pauses for a person who can promote or abort, a rollback is decided while
 * the review is awaited, and a plan without the gate never asks.
 */
import { describe, expect, it } from 'vitest'
import { World } from '../controller/test-utils/world.js'
import type { PromotionReview } from './types.js'
import type { MetricPlan } from '../analysis/types.js'
import { analysisPlan, canaryPlan, errorRateMetric } from './test-utils/plans.js'

/** The error rate measured every 5 s for as long as the rollout runs (a background metric). */
function backgroundErrorRate(): MetricPlan {
  const { count: _once, ...metric } = errorRateMetric({ intervalSeconds: 5 })
  return metric
}

function gated(timeoutSeconds = 20, abortScaleDownDelaySeconds = 0) {
  return canaryPlan(
    [
      { kind: 'setWeight', weight: 20 },
      { kind: 'pause', durationSeconds: 5 },
    ],
    {
      advisorGate: { timeoutSeconds },
      analysis: analysisPlan({
        kind: 'background',
        metrics: [backgroundErrorRate()],
      }),
    },
    { scaleDownDelaySeconds: 0, abortScaleDownDelaySeconds },
  )
}

/** A world on revision 1, with revision 2 released; the reviewer answers with `answer` (or never). */
async function released(
  answer: PromotionReview['outcome'] | 'never',
  timeoutSeconds = 20,
  abortScaleDownDelaySeconds = 0,
) {
  let errorRate = 0.1
  const w = new World(gated(timeoutSeconds, abortScaleDownDelaySeconds), () => ({
    value: errorRate,
  }))
  const asked: number[] = []
  w.reviewer = {
    review: (revision) => {
      asked.push(revision)
      return answer === 'never'
        ? new Promise<PromotionReview>(() => undefined)
        : Promise.resolve({ revision, outcome: answer, summary: `the advisor says ${answer}` })
    },
  }
  await w.tick()
  await w.run(2)
  w.release(2)
  return { w, asked, setErrorRate: (v: number) => (errorRate = v) }
}

describe('advisor gate', () => {
  it('promotes once the advisor agrees, after all steps', async () => {
    const { w, asked } = await released('agree')
    await w.runUntil((s) => s.phase === 'Healthy' && s.stableRevision === 2, 120)
    expect(asked).toEqual([2])
    expect(w.events('PromotionReviewed')).toEqual([
      'PromotionReviewed: the advisor agrees with promoting revision 2: the advisor says agree',
    ])
    const reviewed = w.sink.events.find((e) => e.reason === 'PromotionReviewed')
    expect(reviewed?.stepIndex).toBe(2)
  })

  it('pauses for a person when the advisor disagrees; promote goes on', async () => {
    const { w } = await released('disagree')
    await w.runUntil((s) => s.phase === 'Paused', 120)
    expect(w.status.pause?.reason).toBe('AdvisorDisagreed')
    expect(w.status.stableRevision).toBe(1)
    await w.run(30)
    expect(w.status.phase).toBe('Paused')
    await w.command({ type: 'promote' })
    await w.runUntil((s) => s.phase === 'Healthy' && s.stableRevision === 2, 60)
    expect(w.events('StepCompleted').filter((e) => e.includes('promoted by user'))).toEqual([])
  })

  it('rolls back on abort while paused by the advisor', async () => {
    const { w } = await released('disagree')
    await w.runUntil((s) => s.phase === 'Paused', 120)
    await w.command({ type: 'abort' })
    await w.tick()
    expect(w.status.phase).toBe('RolledBack')
    expect(w.status.traffic.canaryWeight).toBe(0)
  })

  it('promotes by the statistics after the timeout when no answer comes', async () => {
    const { w } = await released('never', 15)
    await w.runUntil((s) => s.review !== undefined, 120)
    const askedAt = w.now
    await w.runUntil((s) => s.phase === 'Healthy', 60)
    expect(w.now - askedAt).toBeGreaterThanOrEqual(15_000)
    expect(w.status.review?.outcome).toBe('unavailable')
  })

  it('still rolls back when the analysis fails while the review is awaited', async () => {
    const { w, setErrorRate } = await released('never', 300)
    await w.runUntil((s) => s.review !== undefined, 120)
    setErrorRate(50)
    await w.runUntil((s) => s.phase === 'RolledBack', 60)
    expect(w.status.stableRevision).toBe(1)
  })

  it('never asks without the gate', async () => {
    const plan = { ...gated() }
    delete plan.advisorGate
    const w = new World(plan, () => ({ value: 0.1 }))
    let asked = 0
    w.reviewer = {
      review: (revision) => {
        asked++
        return Promise.resolve({ revision, outcome: 'disagree', summary: '' })
      },
    }
    await w.tick()
    await w.run(2)
    w.release(2)
    await w.runUntil((s) => s.phase === 'Healthy' && s.stableRevision === 2, 120)
    expect(asked).toBe(0)
  })

  it('asks again when a rolled-back revision is retried', async () => {
    // The canary's replicas are kept a while after the abort, so the retry finds them.
    const { w, asked } = await released('disagree', 20, 60)
    await w.runUntil((s) => s.phase === 'Paused', 120)
    await w.command({ type: 'abort' })
    await w.tick()
    await w.command({ type: 'retry' })
    await w.runUntil((s) => s.phase === 'Paused' && s.pause?.reason === 'AdvisorDisagreed', 120)
    expect(asked).toEqual([2, 2])
  })
})
