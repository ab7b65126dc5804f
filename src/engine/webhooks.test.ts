/**
 * Webhook semantics tick by tick, through the real runner and a real HTTP caller, with receivers on
 * 127.0.0.1 answering as each test says: every type of Flagger's, its payload, and what each answer
 * does to the release.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { MemoryEventSink } from '../controller/memory-sink.js'
import { MemoryRolloutStore } from '../controller/memory-store.js'
import { MemoryRouter } from '../controller/memory-router.js'
import type { WebhookCaller, WorkloadDriver } from '../controller/ports.js'
import { RolloutRunner } from '../controller/runner.js'
import { World } from '../controller/test-utils/world.js'
import { ConflictError } from '../errors.js'
import { HttpWebhookCaller } from '../webhooks/http-caller.js'
import { HookReceiver, type Reply } from '../webhooks/test-utils/hook-receiver.js'
import type { CanaryStep, RolloutPlan, WebhookPlan, WebhookType } from './plan.js'
import { initialStatus } from './status.js'
import { analysisPlan, blueGreenPlan, canaryPlan, errorRateMetric } from './test-utils/plans.js'
import type { VersionObservation } from './types.js'

let receiver: HookReceiver
beforeAll(async () => {
  receiver = await HookReceiver.start()
})
afterAll(() => receiver.close())
afterEach(() => {
  receiver.calls.length = 0
  receiver.respond = () => ({ status: 200, body: 'ok' })
})

const healthy = () => ({ value: 0.1 })
const caller = new HttpWebhookCaller({ backoffMs: 10 })

function hook(name: string, type: WebhookType, extra: Partial<WebhookPlan> = {}): WebhookPlan {
  return {
    name,
    type,
    target: { kind: 'url', url: receiver.url(`/${name}`) },
    timeoutSeconds: 2,
    metadata: {},
    retries: 0,
    ...extra,
  }
}

/** Answers per path; paths not listed answer 200. */
function answer(byPath: Record<string, () => Reply>): void {
  receiver.respond = (c) => byPath[c.path]?.() ?? { status: 200, body: 'ok' }
}

async function deployed(
  steps: CanaryStep[],
  webhooks: WebhookPlan[],
  overrides: Partial<RolloutPlan> = {},
): Promise<World> {
  const w = new World(canaryPlan(steps, { webhooks, ...overrides }), healthy, caller)
  await w.tick()
  await w.runUntil((s) => s.phase === 'Healthy')
  return w
}

describe('confirm-rollout', () => {
  it('holds a new revision before its canary starts, asks again each interval, then starts it', async () => {
    let open = false
    answer({ '/approval': () => (open ? { status: 200 } : { status: 403, body: 'not yet' }) })
    const w = await deployed(
      [
        { kind: 'setWeight', weight: 50 },
        { kind: 'pause', durationSeconds: 10 },
      ],
      [hook('approval', 'confirm-rollout', { metadata: { team: 'payments' } })],
    )
    w.release(2)
    await w.run(2)
    expect(w.status.phase).toBe('Paused')
    expect(w.status.pause).toMatchObject({ reason: 'Gate', gate: 'confirm-rollout' })
    expect(w.desired.get(2)).toBeUndefined()
    expect(w.status.message).toMatch(
      /waiting for approval before starting revision 2: confirm-rollout webhook "approval" answered HTTP 403: not yet/,
    )
    await w.run(40)
    expect(w.desired.get(2)).toBeUndefined()
    const asked = receiver.on('/approval')
    // asked once, then every 10 s of the 42 s
    expect(asked.length).toBeGreaterThanOrEqual(4)
    expect(asked.length).toBeLessThanOrEqual(6)
    expect(w.events('Paused')).toHaveLength(1)
    expect(asked[1]?.body).toMatchObject({
      name: 'checkout',
      namespace: 'default',
      phase: 'Waiting',
      checksum: 'c0ffee',
      metadata: { team: 'payments' },
      webhook: { name: 'approval', type: 'confirm-rollout' },
      revision: 2,
      stableRevision: 1,
      canaryWeight: 0,
    })

    open = true
    await w.runUntil((s) => s.phase === 'Healthy' && s.stableRevision === 2, 60)
    expect(w.weights()).toEqual([50, 0])
    expect(
      w.sink.events.flatMap((e) => (e.reason === 'WebhookAnswered' ? [e.effect] : [])),
    ).toEqual(['GateClosed', 'GateOpened'])
  })
})

describe('pre-rollout', () => {
  it('failing every time rolls back at the failed-checks threshold before any traffic moves', async () => {
    answer({ '/smoke': () => ({ status: 500, body: 'tests failed' }) })
    const w = await deployed(
      [
        { kind: 'setWeight', weight: 20 },
        { kind: 'pause', durationSeconds: 10 },
      ],
      [hook('smoke', 'pre-rollout', { retries: 1 })],
      { failedChecksThreshold: 3 },
    )
    w.release(2)
    await w.runUntil((s) => s.phase === 'RolledBack', 120)
    expect(w.weights()).toEqual([])
    expect(w.router.current?.canaryWeight).toBe(0)
    expect(w.router.current?.headerRoutes).toEqual([])
    const failed = w.sink.events.flatMap((e) =>
      e.reason === 'WebhookAnswered' ? [[e.effect, e.failedChecks, e.attempts]] : [],
    )
    expect(failed).toEqual([
      ['CheckFailed', 1, 2],
      ['CheckFailed', 2, 2],
      ['CheckFailed', 3, 2],
    ])
    // three calls of two attempts each (one retry of the 500)
    expect(receiver.on('/smoke')).toHaveLength(6)
    const rolledBack = w.sink.events.find((e) => e.reason === 'RolledBack')
    expect(rolledBack).toMatchObject({ cause: 'WebhookFailed', canaryWeight: 0 })
    expect(rolledBack?.reason === 'RolledBack' && rolledBack.explanation).toMatch(
      /failed checks reached the threshold \(3\/3\); last: pre-rollout webhook "smoke" HTTP 500: tests failed \(2 attempts\)/,
    )
  })

  it('a pass after a failure lets traffic move; the failure stays counted', async () => {
    let calls = 0
    answer({ '/smoke': () => (++calls === 1 ? { status: 502 } : { status: 200, body: 'ok' }) })
    const w = await deployed(
      [
        { kind: 'setWeight', weight: 20 },
        { kind: 'pause', durationSeconds: 10 },
      ],
      [hook('smoke', 'pre-rollout')],
    )
    w.release(2)
    await w.run(5)
    expect(w.status.traffic.canaryWeight).toBe(0)
    expect(w.status.message).toMatch(
      /pre-rollout webhook "smoke" failed \(HTTP 502\); failed checks 1\/5/,
    )
    await w.runUntil((s) => s.phase === 'Healthy' && s.stableRevision === 2, 60)
    expect(w.weights()).toEqual([20, 0])
    expect(receiver.on('/smoke')).toHaveLength(2)
    // the first traffic came after the pass, not before
    const passedAt = w.sink.events.find((e) => e.reason === 'WebhookAnswered' && e.passed)?.at
    const shiftedAt = w.sink.events.find((e) => e.reason === 'TrafficShifted')?.at
    expect(shiftedAt).toBeGreaterThanOrEqual(passedAt ?? Infinity)
  })
})

describe('rollout', () => {
  it('runs each interval once traffic moved; failures hold the canary and count to rollback', async () => {
    let failing = false
    answer({ '/load': () => (failing ? { status: 500, body: 'errors' } : { status: 202 }) })
    const w = await deployed(
      [
        { kind: 'setWeight', weight: 20 },
        { kind: 'pause', durationSeconds: 30 },
        { kind: 'setWeight', weight: 60 },
        { kind: 'pause', durationSeconds: 30 },
      ],
      [hook('load', 'rollout')],
      { failedChecksThreshold: 3 },
    )
    w.release(2)
    await w.runUntil((s) => s.traffic.canaryWeight === 20, 30)
    await w.run(25)
    const passing = receiver.on('/load').length
    expect(passing).toBeGreaterThanOrEqual(3)
    expect(passing).toBeLessThanOrEqual(4)
    expect(receiver.on('/load')[0]?.body.phase).toBe('Progressing')

    failing = true
    await w.runUntil((s) => s.phase === 'RolledBack', 60)
    // held at 20% by the failures, though its pause was over; then all back on stable
    expect(w.weights()).toEqual([20, 0])
    expect(w.sink.events.find((e) => e.reason === 'RolledBack')).toMatchObject({
      cause: 'WebhookFailed',
      canaryWeight: 20,
    })
    const calls = receiver.on('/load').length
    await w.run(30)
    expect(receiver.on('/load')).toHaveLength(calls)
  })

  it('a failure holds the canary until a later call passes', async () => {
    let n = 0
    answer({ '/load': () => (++n === 2 ? { status: 503 } : { status: 200 }) })
    const w = await deployed(
      [
        { kind: 'setWeight', weight: 20 },
        { kind: 'pause', durationSeconds: 12 },
        { kind: 'setWeight', weight: 60 },
        { kind: 'pause', durationSeconds: 5 },
      ],
      [hook('load', 'rollout')],
    )
    w.release(2)
    await w.runUntil((s) => s.phase === 'Healthy' && s.stableRevision === 2, 120)
    expect(w.weights()).toEqual([20, 60, 0])
    // the pause of 12 s waited for the pass at 20 s after the failed call at 10 s
    const failedAt = w.sink.events.find((e) => e.reason === 'WebhookAnswered' && !e.passed)?.at
    const sixty = w.sink.events.find((e) => e.reason === 'TrafficShifted' && e.toWeight === 60)?.at
    expect((sixty ?? 0) - (failedAt ?? 0)).toBeGreaterThanOrEqual(9000)
    // the failed call counted once, and was reported with the count
    expect(w.status.failedChecks).toBe(1)
    expect(
      w.sink.events.flatMap((e) =>
        e.reason === 'WebhookAnswered' ? [[e.effect, e.failedChecks]] : [],
      ),
    ).toEqual([
      ['CheckPassed', 0],
      ['CheckFailed', 1],
      ['CheckPassed', 1],
    ])
  })
})

describe('confirm-traffic-increase', () => {
  it('asks before each weight increase and holds the weight while the answer is no', async () => {
    let open = false
    answer({
      '/more': () =>
        receiver.calls.at(-1)?.body.canaryWeight === 0 || open ? { status: 200 } : { status: 403 },
    })
    const w = await deployed(
      [
        { kind: 'setWeight', weight: 20 },
        { kind: 'setWeight', weight: 50 },
        { kind: 'pause', durationSeconds: 5 },
      ],
      [hook('more', 'confirm-traffic-increase')],
    )
    w.release(2)
    await w.run(30)
    expect(w.status.traffic.canaryWeight).toBe(20)
    expect(w.status.pause).toMatchObject({ reason: 'Gate', gate: 'confirm-traffic-increase' })
    open = true
    await w.runUntil((s) => s.phase === 'Healthy' && s.stableRevision === 2, 30)
    expect(w.weights()).toEqual([20, 50, 0])
    const weights = receiver.on('/more').map((c) => c.body.canaryWeight)
    expect(weights[0]).toBe(0)
    expect(weights.slice(1).every((x) => x === 20)).toBe(true)
    expect(weights.length).toBeGreaterThanOrEqual(4)
  })
})

describe('confirm-promotion', () => {
  it('a denial waits with the analysis still running; a later allow promotes', async () => {
    let open = false
    answer({
      '/promotion': () => (open ? { status: 200 } : { status: 403, body: 'change freeze' }),
    })
    const { count: _count, ...background } = errorRateMetric({ intervalSeconds: 5 })
    const w = await deployed(
      [
        { kind: 'setWeight', weight: 50 },
        { kind: 'pause', durationSeconds: 10 },
      ],
      [hook('promotion', 'confirm-promotion'), hook('load', 'rollout')],
      { analysis: analysisPlan({ kind: 'background', metrics: [background] }) },
    )
    w.release(2)
    await w.runUntil((s) => s.phase === 'Paused', 60)
    expect(w.status.pause).toMatchObject({ reason: 'Gate', gate: 'confirm-promotion' })
    expect(w.status.currentStepIndex).toBe(2)
    const measured = w.log.filter((a) => a.type === 'measure').length
    const loads = receiver.on('/load').length
    await w.run(60)
    expect(w.status.phase).toBe('Paused')
    expect(w.status.traffic.canaryWeight).toBe(50)
    expect(w.log.filter((a) => a.type === 'measure').length).toBeGreaterThan(measured + 5)
    expect(receiver.on('/load').length).toBeGreaterThan(loads + 4)
    expect(receiver.on('/promotion').at(-1)?.body.phase).toBe('Progressing')
    expect(w.events('Paused')).toEqual([
      expect.stringMatching(
        /confirm-promotion webhook "promotion" answered HTTP 403: change freeze/,
      ),
    ])

    open = true
    await w.runUntil((s) => s.phase === 'Healthy', 30)
    expect(w.status.stableRevision).toBe(2)
    expect(w.status.lastOutcome?.result).toBe('Promoted')
  })

  it('kanari promote approves a closed gate; resume is refused with what to do', async () => {
    answer({ '/promotion': () => ({ status: 403 }) })
    const w = await deployed(
      [{ kind: 'setWeight', weight: 50 }],
      [hook('promotion', 'confirm-promotion')],
    )
    w.release(2)
    await w.runUntil((s) => s.phase === 'Paused', 30)
    const refused = await w.command({ type: 'resume' }).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(ConflictError)
    expect((refused as ConflictError).hint).toMatch(
      /waits for its confirm-promotion webhooks to answer yes \(asked every 10s\); open the gate, or `kanari promote checkout` to approve it/,
    )
    await w.command({ type: 'promote' })
    await w.tick()
    expect(w.status.phase).toBe('Healthy')
    expect(w.status.stableRevision).toBe(2)
  })

  it('blue-green: asked once the preview passed, before traffic switches', async () => {
    let open = false
    answer({ '/promotion': () => (open ? { status: 200 } : { status: 409 }) })
    const w = new World(
      blueGreenPlan({}, { webhooks: [hook('promotion', 'confirm-promotion')] }),
      healthy,
      caller,
    )
    await w.tick()
    await w.runUntil((s) => s.phase === 'Healthy')
    w.release(2)
    await w.runUntil((s) => s.phase === 'Paused', 30)
    await w.run(20)
    expect(w.status.traffic.canaryWeight).toBe(0)
    expect(w.status.stableRevision).toBe(1)
    open = true
    await w.runUntil((s) => s.phase === 'Healthy', 30)
    expect(w.status.stableRevision).toBe(2)
  })
})

describe('rollback', () => {
  it('is asked each interval while in flight; a 2xx rolls back', async () => {
    let rollback = false
    answer({ '/abort': () => (rollback ? { status: 200, body: 'on it' } : { status: 403 }) })
    const w = await deployed(
      [{ kind: 'setWeight', weight: 30 }, { kind: 'pause' }],
      [hook('abort', 'rollback')],
    )
    expect(receiver.on('/abort')).toHaveLength(0)
    w.release(2)
    await w.run(35)
    expect(w.status.phase).toBe('Paused')
    const asked = receiver.on('/abort').length
    expect(asked).toBeGreaterThanOrEqual(3)
    expect(asked).toBeLessThanOrEqual(5)
    rollback = true
    await w.runUntil((s) => s.phase === 'RolledBack', 30)
    expect(w.status.traffic.canaryWeight).toBe(0)
    expect(w.sink.events.find((e) => e.reason === 'RolledBack')).toMatchObject({
      cause: 'WebhookRollback',
      canaryWeight: 30,
      explanation: 'rollback webhook "abort" asked for it (HTTP 200: on it)',
    })
    const after = receiver.on('/abort').length
    await w.run(30)
    expect(receiver.on('/abort')).toHaveLength(after)
  })
})

describe('post-rollout', () => {
  it('is called once after a promotion (Succeeded) and after a rollback (Failed)', async () => {
    answer({ '/done': () => ({ status: 500, body: 'nobody home' }) })
    const w = await deployed([{ kind: 'setWeight', weight: 50 }], [hook('done', 'post-rollout')])
    expect(receiver.on('/done')).toHaveLength(0)
    w.release(2)
    await w.runUntil((s) => s.phase === 'Healthy' && s.stableRevision === 2, 30)
    await w.run(20)
    w.release(3, {
      strategy: {
        ...w.plan.strategy,
        kind: 'canary',
        steps: [{ kind: 'pause' }],
        abortScaleDownDelaySeconds: 0,
        scaleDownDelaySeconds: 0,
      },
    })
    await w.runUntil((s) => s.phase === 'Paused', 30)
    await w.command({ type: 'abort' })
    await w.run(20)
    const done = receiver.on('/done').map((c) => [c.body.phase, c.body.revision])
    expect(done).toEqual([
      ['Succeeded', 2],
      ['Failed', 3],
    ])
    // its failure is recorded, nothing more
    expect(
      w.sink.events.flatMap((e) =>
        e.reason === 'WebhookAnswered' ? [[e.effect, e.passed, e.explanation]] : [],
      ),
    ).toEqual([
      ['Recorded', false, 'HTTP 500: nobody home'],
      ['Recorded', false, 'HTTP 500: nobody home'],
    ])
    expect(w.status.phase).toBe('RolledBack')
  })
})

describe('event', () => {
  it('receives every event, in order, with Flagger’s event metadata', async () => {
    // A slow receiver: calls queue up behind each other and still arrive in order.
    receiver.respond = () => ({ status: 200, delayMs: 15 })
    const w = await deployed(
      [{ kind: 'setWeight', weight: 40 }, { kind: 'pause' }],
      [hook('events', 'event', { metadata: { cluster: 'local', eventType: 'mine' } })],
    )
    w.release(2)
    await w.runUntil((s) => s.phase === 'Paused', 30)
    await w.command({ type: 'promote' })
    await w.runUntil((s) => s.phase === 'Healthy' && s.stableRevision === 2, 30)
    await w.run(2)
    const got = receiver.on('/events').map((c) => c.body)
    expect(got.map((b) => `${b.event?.reason}: ${b.event?.message}`)).toEqual(
      w.sink.events.map((e) => `${e.reason}: ${e.message}`),
    )
    expect(got.map((b) => b.event?.reason)).toContain('Command')
    const first = got[0]
    expect(first?.metadata).toEqual({
      cluster: 'local',
      eventMessage: w.sink.events[0]?.message,
      eventType: 'Normal',
      timestamp: String(w.sink.events[0]?.at),
    })
    expect(w.status.webhooks?.pending).toEqual([])
  })
})

describe('a restarted runner', () => {
  it('sends again the calls the old one asked for and never saw answered', async () => {
    answer({ '/approval': () => ({ status: 200 }) })
    const plan = canaryPlan([{ kind: 'setWeight', weight: 50 }], {
      webhooks: [hook('approval', 'confirm-rollout')],
    })
    const store = new MemoryRolloutStore()
    store.create(plan.name, initialStatus())
    const workloads: WorkloadDriver = {
      scale: () => Promise.resolve(),
      observe: (revisions) =>
        Promise.resolve(
          Object.fromEntries(
            revisions.map((r): [string, VersionObservation] => [
              String(r),
              { desired: 3, ready: 3, crashLooping: false },
            ]),
          ),
        ),
    }
    const silent: WebhookCaller = { call: () => new Promise(() => undefined) }
    const ports = (webhooks: WebhookCaller) => ({
      workloads,
      router: new MemoryRouter(),
      metrics: {},
      store,
      sinks: [new MemoryEventSink()],
      webhooks,
    })
    const first = new RolloutRunner(ports(silent), {
      name: plan.name,
      plan,
      status: initialStatus(),
      measurements: 'background',
      driver: 'tests',
    })
    await first.tickOnce(1000)
    await first.tickOnce(1500)
    expect(first.status.phase).toBe('Healthy')
    await first.update({ ...plan, revision: 2 })
    await first.tickOnce(2000)
    const stored = await store.loadStatus(plan.name)
    expect(stored?.webhooks?.pending.map((c) => c.webhook.name)).toEqual(['approval'])
    expect(receiver.calls).toHaveLength(0)

    // The process died with the call in flight: a new runner from the stored status.
    const second = new RolloutRunner(ports(caller), {
      name: plan.name,
      plan: { ...plan, revision: 2 },
      status: stored ?? initialStatus(),
      measurements: 'await',
      driver: 'tests',
    })
    await second.restore()
    await second.idle()
    expect(receiver.on('/approval')).toHaveLength(1)
    expect(receiver.on('/approval')[0]?.body.revision).toBe(2)
    await second.tickOnce(3000)
    expect(second.status.webhooks?.pending).toEqual([])
    expect(second.status.replicas['2']).toBe(3)
  })
})
