/**
 * No path from the advisor to a promotion, by property: random advisor answers (valid, truncated,
 * missing fields, out-of-range confidence, invented citations, any verdict), at random delays or
 * never, go through the same checks as a real advisor's and drive a rollout with the opt-in gate.
 * A twin rollout without the gate gets the same traffic and commands. The gated one promotes only
 * what the twin promotes, never sooner, and rolls back everything the twin rolls back.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { propertyRuns } from '../test-utils/property-runs.js'
import { World } from '../controller/test-utils/world.js'
import type { RolloutCommand } from '../engine/commands.js'
import type { CanaryStep, RolloutPlan } from '../engine/plan.js'
import { analysisPlan, canaryPlan, errorRateMetric } from '../engine/test-utils/plans.js'
import type { MetricPlan } from '../analysis/types.js'
import type { PromotionReview } from '../engine/types.js'
import { ConflictError } from '../errors.js'
import { ADVICE_VERDICTS, checkAdvice, reviewOfPromotion } from './advice.js'
import { buildReport } from './build-report.js'

/** The error rate measured every 5 s for as long as the rollout runs (a background metric). */
function backgroundErrorRate(): MetricPlan {
  const { count: _once, ...metric } = errorRateMetric({ intervalSeconds: 5 })
  return metric
}

const report = buildReport({
  rollout: 'checkout',
  revision: 2,
  stableRevision: 1,
  trigger: 'pre-promotion',
  now: 0,
  window: { from: 0, to: 1 },
  outcome: null,
  runs: [],
  verdictEvents: [],
  requests: { canary: [{ method: 'GET', path: '/', status: 500, count: 3 }], stable: [] },
  logs: { canary: [['ERROR boom']], stable: [['ok']], stableBefore: [], windowed: true },
  workloads: { from: null, to: { revision: 2, workload: { env: { A: '1' } } } },
  secretEnv: [],
})

/** What an advisor may send back: anything, from a well-formed answer to garbage. */
const answerArb: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        verdict: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...ADVICE_VERDICTS) },
          { weight: 1, arbitrary: fc.string() },
        ),
        confidence: fc.oneof(fc.double({ min: -5, max: 5, noNaN: true }), fc.constant(2)),
        explanation: fc.string(),
        suspected_cause: fc.string(),
        suggested_fix: fc.string(),
        evidence: fc.array(fc.constantFrom('L1', 'R1', 'C1', 'V9', 'L42', 'promote'), {
          maxLength: 6,
        }),
      })
      .map((a) => JSON.stringify(a)),
  },
  // An answer missing most fields, however sure it sounds.
  fc
    .record({ verdict: fc.constant('promote'), confidence: fc.constant(1) })
    .map((a) => JSON.stringify(a)),
  fc.string().map((s) => `{"verdict":"promote","confidence":1,"explanation":"${s}`),
  fc.string(),
)

interface AdvisorBehaviour {
  answer: string
  /** Seconds until the answer arrives; null: never; 'throw': the call fails. */
  delay: number | null | 'throw'
}

const behaviourArb: fc.Arbitrary<AdvisorBehaviour> = fc.record({
  answer: answerArb,
  delay: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 40 }) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant<'throw'>('throw') },
  ),
})

const stepArb: fc.Arbitrary<CanaryStep> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .integer({ min: 1, max: 100 })
      .map((weight) => ({ kind: 'setWeight' as const, weight })),
  },
  {
    weight: 3,
    arbitrary: fc
      .integer({ min: 1, max: 20 })
      .map((d) => ({ kind: 'pause' as const, durationSeconds: d })),
  },
  { weight: 1, arbitrary: fc.constant<CanaryStep>({ kind: 'pause' }) },
  {
    weight: 2,
    arbitrary: fc.constant<CanaryStep>({
      kind: 'analysis',
      analysis: analysisPlan({ metrics: [errorRateMetric({ intervalSeconds: 5 })] }),
    }),
  },
)

type Op =
  | { op: 'wait'; seconds: number }
  | { op: 'command'; command: RolloutCommand }
  | { op: 'release' }
  | { op: 'errors'; value: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.integer({ min: 1, max: 30 }).map((seconds) => ({ op: 'wait' as const, seconds })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<RolloutCommand>(
        { type: 'promote' },
        { type: 'promote', full: true },
        { type: 'abort' },
        { type: 'retry' },
        { type: 'pause' },
        { type: 'resume' },
      )
      .map((command) => ({ op: 'command' as const, command })),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'release' as const }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0.1, 5).map((value) => ({ op: 'errors' as const, value })),
  },
)

/** Revisions that were promoted and rolled back, with the time of each promotion. */
function outcomes(w: World): { promoted: Map<number, number>; rolledBack: Set<number> } {
  const promoted = new Map<number, number>()
  const rolledBack = new Set<number>()
  for (const e of w.sink.events) {
    if (e.reason === 'Promoted' && !promoted.has(e.revision)) promoted.set(e.revision, e.at)
    if (e.reason === 'RolledBack') rolledBack.add(e.revision)
  }
  return { promoted, rolledBack }
}

describe('advisor gate, by property', () => {
  it('never promotes what the statistics would not, nor sooner, nor stops a rollback', async () => {
    // What the runs covered: each outcome of a review, and pauses for a person.
    const seen = { agree: 0, disagree: 0, unavailable: 0, paused: 0 }
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(behaviourArb, { minLength: 1, maxLength: 5 }),
        fc.array(opArb, { minLength: 1, maxLength: 30 }),
        async (steps, timeoutSeconds, behaviours, ops) => {
          let errorRate = 0.1
          const answer = () => ({ value: errorRate })
          const base: RolloutPlan = canaryPlan(steps, {
            progressDeadlineSeconds: 120,
            analysis: analysisPlan({
              kind: 'background',
              metrics: [backgroundErrorRate()],
            }),
          })
          const gated = new World({ ...base, advisorGate: { timeoutSeconds } }, answer)
          const twin = new World(base, answer)
          // Answers come due on the gated world's clock; the next tick sees the ones that arrived.
          const due: { at: number; settle: () => void }[] = []
          let asked = 0
          gated.reviewer = {
            review: (revision) => {
              const b = behaviours[asked++ % behaviours.length] as AdvisorBehaviour
              if (b.delay === 'throw') return Promise.reject(new Error('connection refused'))
              const delay = b.delay
              return new Promise<PromotionReview>((resolve) => {
                if (delay === null) return
                const check = checkAdvice(b.answer, report)
                const outcome = reviewOfPromotion(check.ok ? check.advice : null)
                due.push({
                  at: gated.now + delay * 1000,
                  settle: () => resolve({ revision, outcome, summary: b.answer.slice(0, 40) }),
                })
              })
            },
          }
          const both = async (fn: (w: World) => Promise<unknown>): Promise<void> => {
            for (const w of [gated, twin]) {
              try {
                await fn(w)
              } catch (err) {
                if (!(err instanceof ConflictError)) throw err
              }
            }
          }
          const second = async (): Promise<void> => {
            gated.now += 1000
            twin.now += 1000
            for (const d of due.filter((x) => x.at <= gated.now)) {
              d.settle()
              due.splice(due.indexOf(d), 1)
            }
            // Let the answers that arrived reach the runner before the tick reads them.
            await new Promise((resolve) => setImmediate(resolve))
            await both((w) => w.tick())
          }
          await both((w) => w.tick())
          let revision = 1
          for (const op of ops) {
            if (op.op === 'wait') for (let i = 0; i < op.seconds; i++) await second()
            else if (op.op === 'command') {
              await both(async (w) => {
                await w.command(op.command)
              })
              await second()
            } else if (op.op === 'release') {
              revision++
              const r = revision
              await both((w) => {
                w.release(r)
                return Promise.resolve()
              })
              await second()
            } else errorRate = op.value
          }
          for (let i = 0; i < 120; i++) await second()

          const a = outcomes(gated)
          const b = outcomes(twin)
          for (const [rev, at] of a.promoted) {
            expect(b.promoted.has(rev), `revision ${rev} promoted only with the advisor`).toBe(true)
            expect(at).toBeGreaterThanOrEqual(b.promoted.get(rev) ?? Infinity)
          }
          for (const rev of b.rolledBack)
            expect(a.rolledBack.has(rev), `revision ${rev} not rolled back with the advisor`).toBe(
              true,
            )
          // A review is asked for only once every step has passed.
          for (const e of gated.sink.events)
            if (e.reason === 'PromotionReviewed') {
              expect(e.stepIndex).toBeGreaterThanOrEqual(steps.length)
              seen[e.outcome]++
              if (e.paused) seen.paused++
            }
        },
      ),
      // A fixed seed: the cases seen (agree, disagree, unavailable, paused) must not depend on luck.
      propertyRuns(50),
    )
    expect(seen.agree).toBeGreaterThan(0)
    expect(seen.disagree).toBeGreaterThan(0)
    expect(seen.unavailable).toBeGreaterThan(0)
    expect(seen.paused).toBeGreaterThan(0)
  })
})
