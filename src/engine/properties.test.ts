/**
 * Properties of the engine under random plans, commands, releases, failures and measurements:
 * the invariants of ARCHITECTURE.md checked after every tick.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { propertyRuns } from '../test-utils/property-runs.js'
import { ConflictError } from '../errors.js'
import type { RolloutCommand } from './commands.js'
import type { WebhookCaller } from '../controller/ports.js'
import type { CanaryStep, RolloutPlan, WebhookPlan } from './plan.js'
import { reconcile } from './reconcile.js'
import { analysisPlan, blueGreenPlan, canaryPlan, errorRateMetric } from './test-utils/plans.js'
import { World } from '../controller/test-utils/world.js'
import { WORKLOAD_PROBLEMS, type WorkloadProblemReason } from './types.js'
import { WEBHOOK_TYPES } from './vocabulary.js'

const stepArb: fc.Arbitrary<CanaryStep> = fc.oneof(
  fc.integer({ min: 0, max: 100 }).map((weight) => ({ kind: 'setWeight' as const, weight })),
  fc
    .option(fc.integer({ min: 1, max: 30 }), { nil: undefined })
    .map((d) =>
      d === undefined ? { kind: 'pause' as const } : { kind: 'pause' as const, durationSeconds: d },
    ),
  fc.constant<CanaryStep>({
    kind: 'analysis',
    analysis: analysisPlan({ metrics: [errorRateMetric({ intervalSeconds: 5 })] }),
  }),
  fc.constant<CanaryStep>({
    kind: 'setHeaderRoute',
    name: 'h',
    match: [{ headerName: 'x-canary', headerValue: { exact: '1' } }],
  }),
  fc
    .integer({ min: 0, max: 100 })
    .map((percentage) => ({ kind: 'setMirrorRoute' as const, name: 'm', percentage, match: [] })),
  fc.integer({ min: 1, max: 3 }).map((replicas) => ({ kind: 'setCanaryScale' as const, replicas })),
)

/** Webhooks of any types, answered yes or no in a pattern the property draws. */
const webhooksArb: fc.Arbitrary<WebhookPlan[]> = fc
  .uniqueArray(fc.constantFrom(...WEBHOOK_TYPES), { maxLength: 4 })
  .map((types) =>
    types.map((type) => ({
      name: `h-${type}`,
      type,
      target: { kind: 'url' as const, url: 'http://127.0.0.1:9/' },
      timeoutSeconds: 1,
      metadata: {},
      retries: 0,
    })),
  )

const basePlanArb: fc.Arbitrary<RolloutPlan> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(stepArb, { minLength: 1, maxLength: 8 })
      .map((steps) => canaryPlan(steps, { progressDeadlineSeconds: 120 })),
  },
  {
    weight: 1,
    arbitrary: fc
      .boolean()
      .map((auto) => blueGreenPlan({ autoPromotionEnabled: auto, autoPromotionSeconds: 5 })),
  },
)

const planArb: fc.Arbitrary<RolloutPlan> = fc
  .tuple(basePlanArb, fc.option(webhooksArb, { nil: undefined, freq: 2 }))
  .map(([plan, webhooks]) =>
    webhooks === undefined
      ? plan
      : { ...plan, webhooks, webhookIntervalSeconds: 5, failedChecksThreshold: 4 },
  )

/** Answers each call yes or no from `answers`, in turn. */
function scriptedCaller(answers: boolean[]): WebhookCaller {
  let i = 0
  return {
    call: () => {
      const ok = answers.length === 0 || (answers[i++ % answers.length] ?? true)
      return Promise.resolve({
        ok,
        httpStatus: ok ? 200 : 500,
        attempts: 1,
        explanation: ok ? 'HTTP 200' : 'HTTP 500',
      })
    },
  }
}

type Op =
  | { op: 'wait'; seconds: number }
  | { op: 'command'; command: RolloutCommand }
  | { op: 'release' }
  | { op: 'crash'; on: boolean }
  | { op: 'errors'; value: number }
  | { op: 'problem'; on: 'stable' | 'canary'; reason: WorkloadProblemReason | null }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.integer({ min: 1, max: 20 }).map((seconds) => ({ op: 'wait' as const, seconds })),
  },
  {
    weight: 3,
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
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ op: 'crash' as const, on })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0.1, 5).map((value) => ({ op: 'errors' as const, value })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        on: fc.constantFrom('stable' as const, 'canary' as const),
        reason: fc.option(fc.constantFrom(...WORKLOAD_PROBLEMS), { nil: null }),
      })
      .map((p) => ({ op: 'problem' as const, ...p })),
  },
)

function checkInvariants(w: World): void {
  const s = w.status
  const t = s.traffic
  // destination weights sum to 100 and are within range
  expect(t.canaryWeight).toBeGreaterThanOrEqual(0)
  expect(t.canaryWeight).toBeLessThanOrEqual(100)
  expect(t.canaryWeight + (100 - t.canaryWeight)).toBe(100)
  // traffic never goes to a revision that is not asked to run
  if (t.canaryWeight > 0 && t.canaryRevision !== null)
    expect(s.replicas[String(t.canaryRevision)] ?? 0).toBeGreaterThan(0)
  // header routes and mirrors too, and only once the canary has ready replicas to answer them
  if ((t.headerRoutes.length > 0 || t.mirror !== null) && t.canaryRevision !== null) {
    expect(s.replicas[String(t.canaryRevision)] ?? 0).toBeGreaterThan(0)
    expect(w.ready.get(t.canaryRevision) ?? 0).toBeGreaterThan(0)
  }
  if (t.canaryWeight < 100 && t.stableRevision !== null)
    expect(s.replicas[String(t.stableRevision)] ?? 0).toBeGreaterThan(0)
  // stable keeps its full size while a canary is in flight
  if (s.canaryRevision !== null && s.stableRevision !== null && s.phase !== 'Healthy') {
    expect(s.replicas[String(s.stableRevision)]).toBe(w.plan.replicas)
  }
  // nothing reaches a new revision before its pre-rollout webhooks passed
  const inFlight = s.phase === 'Progressing' || s.phase === 'Paused'
  if (inFlight && s.webhooks?.trafficSince === null && s.canaryRevision !== null) {
    expect(t.canaryWeight).toBe(0)
    expect(t.headerRoutes).toEqual([])
    expect(t.mirror).toBeNull()
  }
  // and it does not even start before its confirm-rollout webhooks said yes
  if (s.webhooks?.rolloutConfirmed === false && s.canaryRevision !== null)
    expect(s.replicas[String(s.canaryRevision)] ?? 0).toBe(0)
  // rolled back means everything on stable
  if (s.phase === 'RolledBack') {
    expect(t.canaryWeight).toBe(0)
    expect(t.headerRoutes).toEqual([])
    expect(t.mirror).toBeNull()
  }
}

describe('engine properties', () => {
  it('hold after every tick for random plans and histories', async () => {
    await fc.assert(
      fc.asyncProperty(
        planArb,
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
        async (plan, ops, readyDelayTicks, hookAnswers) => {
          let errorRate = 0.1
          const w = new World(plan, () => ({ value: errorRate }), scriptedCaller(hookAnswers))
          w.readyDelayTicks = readyDelayTicks
          await w.tick()
          await w.run(2)
          let revision = 1
          for (const op of ops) {
            if (op.op === 'wait') {
              // The observed problems do not change while waiting: each is reported at most once.
              const problemEventsBefore = w.sink.events.length
              for (let i = 0; i < op.seconds; i++) {
                w.now += 1000
                const obs = w.observations()
                const out = reconcile(w.plan, w.status, obs, w.now)
                // idempotent: the same tick again emits nothing new
                expect(reconcile(w.plan, out.status, obs, w.now).actions).toEqual([])
                // a fresh driver given the persisted status computes the same tick
                expect(
                  reconcile(
                    w.plan,
                    JSON.parse(JSON.stringify(w.status)) as typeof w.status,
                    obs,
                    w.now,
                  ),
                ).toEqual(out)
                await w.tick()
                checkInvariants(w)
              }
              const reported = w.sink.events
                .slice(problemEventsBefore)
                .flatMap((e) =>
                  e.reason === 'WorkloadProblem' ? [`${e.revision}:${e.problem.reason}`] : [],
                )
              expect(reported).toEqual([...new Set(reported)])
            } else if (op.op === 'command') {
              try {
                await w.command(op.command)
              } catch (err) {
                if (!(err instanceof ConflictError)) throw err
                continue
              }
              await w.tick()
              checkInvariants(w)
              if (op.command.type === 'abort') {
                expect(w.status.phase).toBe('RolledBack')
                expect(w.status.traffic.canaryWeight).toBe(0)
              }
            } else if (op.op === 'release') {
              revision++
              w.release(revision)
              await w.tick()
              checkInvariants(w)
            } else if (op.op === 'crash') {
              if (op.on && w.status.canaryRevision !== null)
                w.crashLooping.add(w.status.canaryRevision)
              else w.crashLooping.clear()
            } else if (op.op === 'problem') {
              const revision =
                op.on === 'stable' ? w.status.stableRevision : w.status.canaryRevision
              if (revision === null) continue
              if (op.reason === null) w.problems.delete(revision)
              else
                w.problems.set(revision, {
                  reason: op.reason,
                  message: `${op.reason} on revision ${revision}`,
                  hint: 'fix it',
                })
            } else {
              errorRate = op.value
            }
          }
        },
      ),
      propertyRuns(40),
    )
  })
})
