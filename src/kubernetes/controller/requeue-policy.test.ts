/** When the reconciler looks at a Rollout again: the pure requeue policy, case by case. */
import { describe, expect, it } from 'vitest'
import type { RolloutPlan } from '../../engine/plan.js'
import { initialStatus, type RolloutStatus } from '../../engine/status.js'
import { nextLookMs, targetPending } from './requeue-policy.js'

const canaryPlan = (steps: unknown[]): RolloutPlan =>
  ({ strategy: { kind: 'canary', steps } }) as unknown as RolloutPlan
const blueGreenPlan = (autoPromotionSeconds?: number): RolloutPlan =>
  ({
    strategy: {
      kind: 'blueGreen',
      ...(autoPromotionSeconds === undefined ? {} : { autoPromotionSeconds }),
    },
  }) as unknown as RolloutPlan

const status = (patch: Partial<RolloutStatus>): RolloutStatus => ({ ...initialStatus(), ...patch })
const look = (s: RolloutStatus, plan = canaryPlan([]), targetPendingNow = false, now = 0) =>
  nextLookMs({
    status: s,
    plan,
    now,
    tickMs: 1000,
    resyncMs: 30_000,
    targetPending: targetPendingNow,
  })

describe('requeue policy', () => {
  it('settled: the resync rate, unless the target still runs replicas it should not', () => {
    expect(look(status({ phase: 'Healthy' }))).toBe(30_000)
    expect(look(status({ phase: 'RolledBack' }))).toBe(30_000)
    expect(look(status({ phase: 'Healthy' }), canaryPlan([]), true)).toBe(5000)
  })

  it('waiting for a person: the resync rate', () => {
    expect(look(status({ phase: 'Paused' }))).toBe(30_000)
  })

  it('time moves the rollout: the tick rate', () => {
    const timed = canaryPlan([{ kind: 'pause', durationSeconds: 60 }])
    expect(look(status({ phase: 'Progressing', currentStepIndex: 0 }), timed)).toBe(1000)
    const untimed = canaryPlan([{ kind: 'pause' }])
    expect(look(status({ phase: 'Progressing', currentStepIndex: 0 }), untimed)).toBe(5000)
    const analysing = status({ phase: 'Progressing' })
    analysing.analyses = { ...analysing.analyses, background: { phase: 'Running' } as never }
    expect(look(analysing)).toBe(1000)
    expect(look(status({ phase: 'Progressing', readySince: 5 }), blueGreenPlan(30))).toBe(1000)
    expect(look(status({ phase: 'Progressing', readySince: 5 }), blueGreenPlan())).toBe(5000)
  })

  it('a scale-down due sooner wins, with a little slack', () => {
    const s = status({ phase: 'Healthy', scaleDownAt: { '1': 10_000 } })
    expect(look(s, canaryPlan([]), false, 7000)).toBe(3050)
    expect(look(s, canaryPlan([]), false, 20_000)).toBe(50)
  })

  it('the target is pending while it is not the canary, has replicas, and the primary does not serve', () => {
    const s = status({ canaryRevision: 2 })
    const base = { status: s, targetRevision: 1, targetReplicas: 2, stableOnServingPrimary: false }
    expect(targetPending(base)).toBe(true)
    expect(targetPending({ ...base, targetRevision: 2 })).toBe(false)
    expect(targetPending({ ...base, targetReplicas: 0 })).toBe(false)
    expect(targetPending({ ...base, stableOnServingPrimary: true })).toBe(false)
  })
})
