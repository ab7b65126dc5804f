/**
 * The HTTP webhook caller against real receivers on 127.0.0.1: Flagger's payload as a JSON POST,
 * 2xx passes, anything else fails with what came back, timeouts per attempt, retries on no answer,
 * 429 and 5xx (not on a 4xx), and no redirect followed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebhookPlan } from '../engine/plan.js'
import type { WebhookCall } from '../engine/webhook-types.js'
import { freePort } from '../local/free-port.js'
import { HttpWebhookCaller } from './http-caller.js'
import { HookReceiver } from './test-utils/hook-receiver.js'

let receiver: HookReceiver
beforeAll(async () => {
  receiver = await HookReceiver.start()
})
afterAll(() => receiver.close())

const caller = new HttpWebhookCaller({ backoffMs: 20 })

function call(path: string, hook: Partial<WebhookPlan> = {}): WebhookCall {
  return {
    id: 'call-1',
    askedAt: 0,
    webhook: {
      name: 'smoke',
      type: 'pre-rollout',
      target: { kind: 'url', url: receiver.url(path) },
      timeoutSeconds: 2,
      metadata: {},
      retries: 0,
      ...hook,
    },
    payload: {
      name: 'checkout',
      namespace: 'default',
      phase: 'Progressing',
      checksum: 'abc123',
      metadata: { cmd: 'test' },
      webhook: { name: 'smoke', type: 'pre-rollout' },
      revision: 2,
      stableRevision: 1,
      canaryWeight: 0,
    },
  }
}

describe('HttpWebhookCaller', () => {
  it('POSTs the payload as JSON and passes on any 2xx', async () => {
    for (const status of [200, 202, 204]) {
      receiver.respond = () => ({ status, body: status === 204 ? '' : 'fine' })
      const answer = await caller.call(call(`/ok-${status}`))
      expect(answer).toMatchObject({ ok: true, httpStatus: status, attempts: 1 })
      const [got] = receiver.on(`/ok-${status}`)
      expect(got?.method).toBe('POST')
      expect(got?.headers['content-type']).toBe('application/json')
      expect(got?.body).toEqual(call('/').payload)
    }
  })

  it('fails on a 4xx with the body in the explanation, without retrying it', async () => {
    receiver.respond = () => ({ status: 403, body: 'gate\nclosed' })
    const answer = await caller.call(call('/denied', { retries: 3 }))
    expect(answer).toEqual({
      ok: false,
      httpStatus: 403,
      attempts: 1,
      explanation: 'HTTP 403: gate closed',
    })
    expect(receiver.on('/denied')).toHaveLength(1)
  })

  it('retries a 5xx and a 429, and passes when a later attempt does', async () => {
    const before = receiver.calls.length
    receiver.respond = (c) => {
      const n = receiver.on(c.path).length
      return { status: n === 1 ? 503 : n === 2 ? 429 : 200 }
    }
    const answer = await caller.call(call('/flaky', { retries: 3 }))
    expect(answer).toMatchObject({ ok: true, httpStatus: 200, attempts: 3 })
    expect(receiver.calls.length - before).toBe(3)
  })

  it('gives up after `retries` more attempts and says how many were made', async () => {
    receiver.respond = () => ({ status: 500, body: 'boom' })
    const answer = await caller.call(call('/broken', { retries: 2 }))
    expect(answer).toEqual({
      ok: false,
      httpStatus: 500,
      attempts: 3,
      explanation: 'HTTP 500: boom (3 attempts)',
    })
    expect(receiver.on('/broken')).toHaveLength(3)
  })

  it('does not retry a 501 (the receiver does not do this)', async () => {
    receiver.respond = () => ({ status: 501 })
    const answer = await caller.call(call('/not-implemented', { retries: 2 }))
    expect(answer).toMatchObject({ ok: false, httpStatus: 501, attempts: 1 })
  })

  it('ends an attempt at its timeout, and retries it', async () => {
    receiver.respond = () => ({ status: 200, hang: true })
    const started = Date.now()
    const answer = await caller.call(call('/hangs', { timeoutSeconds: 0.3, retries: 1 }))
    expect(answer).toEqual({
      ok: false,
      httpStatus: null,
      attempts: 2,
      explanation: 'no answer within 300ms (2 attempts)',
    })
    expect(receiver.on('/hangs')).toHaveLength(2)
    // two attempts of 0.3 s each: it did wait for them (bounded above by the test timeout)
    expect(Date.now() - started).toBeGreaterThanOrEqual(600)
  })

  it('passes an answer that comes within the timeout, however slow', async () => {
    receiver.respond = () => ({ status: 200, delayMs: 200 })
    const answer = await caller.call(call('/slow', { timeoutSeconds: 2 }))
    expect(answer).toMatchObject({ ok: true, attempts: 1 })
  })

  it('says a closed port refused the connection, after its retries', async () => {
    const port = await freePort()
    const answer = await caller.call({
      ...call('/'),
      webhook: {
        ...call('/').webhook,
        target: { kind: 'url', url: `http://127.0.0.1:${port}/` },
        retries: 1,
      },
    })
    expect(answer).toEqual({
      ok: false,
      httpStatus: null,
      attempts: 2,
      explanation: `cannot connect to http://127.0.0.1:${port}/: connection refused (2 attempts)`,
    })
  })

  it('does not follow a redirect', async () => {
    receiver.respond = () => ({
      status: 302,
      headers: { location: 'http://127.0.0.1:1/elsewhere' },
    })
    const answer = await caller.call(call('/moved', { retries: 2 }))
    expect(answer).toEqual({
      ok: false,
      httpStatus: 302,
      attempts: 1,
      explanation:
        'HTTP 302 redirect to http://127.0.0.1:1/elsewhere (webhooks do not follow redirects)',
    })
  })

  it('refuses gate and loadtest targets, which need the daemon', async () => {
    const answer = await caller.call({
      ...call('/'),
      webhook: { ...call('/').webhook, target: { kind: 'gate', gate: 'release' } },
    })
    expect(answer.ok).toBe(false)
    expect(answer.explanation).toMatch(/a gate webhook needs the local daemon/)
  })
})
