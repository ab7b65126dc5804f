/**
 * The contract every `WebhookCaller` passes: a 2xx answer passes and anything else fails, each with
 * the status it came with; each webhook gets its own answer, a webhook asked again is asked again
 * (a closed gate can open), and the call handed over is left as it was. A caller that reaches a
 * receiver over the network also delivers the payload, ends a call that gets no answer in time,
 * retries what Flagger retries, and answers (never throws) when the receiver is down.
 */
import { describe, expect, it } from 'vitest'
import type { WebhookPlan, WebhookTarget } from '../../engine/plan.js'
import type { WebhookAnswer, WebhookCall } from '../../engine/webhook-types.js'
import type { WebhookCaller } from '../ports.js'

/** An HTTP status to answer with; `hang`: never answer; `down`: nothing listens where it is called. */
export type WebhookReply = number | 'hang' | 'down'

/** What a receiver got: the method, the content type and the body parsed as JSON. */
export interface ReceivedWebhookCall {
  method: string
  contentType: string | undefined
  body: unknown
}

export interface WebhookCallerFixture {
  caller: WebhookCaller
  /**
   * Arranges that webhook `name` answers its next calls with `replies` in turn (the last repeats),
   * replacing what was arranged for it before; returns where the webhook is called.
   */
  arrange(name: string, replies: readonly WebhookReply[]): Promise<WebhookTarget>
  /** What webhook `name`'s receiver got, in order (callers that reach a receiver). */
  received?(name: string): ReceivedWebhookCall[]
  close(): Promise<void>
}

/** What a caller that reaches a receiver over the network meets as well. */
export const RECEIVER_BEHAVIOURS = ['delivery', 'timeout', 'retries', 'down'] as const
export type ReceiverBehaviour = (typeof RECEIVER_BEHAVIOURS)[number]

function callOf(
  name: string,
  target: WebhookTarget,
  hook: Partial<Pick<WebhookPlan, 'retries' | 'timeoutSeconds'>> = {},
): WebhookCall {
  return {
    id: `call-${name}`,
    askedAt: 1_700_000_000_000,
    webhook: {
      name,
      type: 'confirm-promotion',
      target,
      timeoutSeconds: 5,
      metadata: { team: 'shop' },
      retries: 0,
      ...hook,
    },
    payload: {
      name: 'checkout',
      namespace: 'default',
      phase: 'WaitingPromotion',
      checksum: 'c0ffee',
      metadata: { team: 'shop' },
      webhook: { name, type: 'confirm-promotion' },
      revision: 3,
      stableRevision: 2,
      canaryWeight: 40,
    },
  }
}

/** Every answer is well formed: `ok` is a 2xx exactly, at least one attempt, and words for people. */
function expectWellFormed(answer: WebhookAnswer): void {
  const twoXX = answer.httpStatus !== null && answer.httpStatus >= 200 && answer.httpStatus <= 299
  expect(answer.ok).toBe(twoXX)
  expect(answer.attempts).toBeGreaterThanOrEqual(1)
  expect(answer.explanation.trim()).not.toBe('')
}

/** `more`: the RECEIVER_BEHAVIOURS this caller meets; one that calls no receiver meets none. */
export function runWebhookCallerContract(
  name: string,
  newCaller: () => Promise<WebhookCallerFixture>,
  more: readonly ReceiverBehaviour[] = [],
): void {
  describe(`WebhookCaller contract: ${name}`, () => {
    const withCaller = async (fn: (f: WebhookCallerFixture) => Promise<void>): Promise<void> => {
      const fixture = await newCaller()
      try {
        await fn(fixture)
      } finally {
        await fixture.close()
      }
    }

    it('passes a 2xx answer, with its status', () =>
      withCaller(async (f) => {
        for (const status of [200, 202, 204]) {
          const call = callOf(`yes-${status}`, await f.arrange(`yes-${status}`, [status]))
          const answer = await f.caller.call(call)
          expectWellFormed(answer)
          expect(answer).toMatchObject({ ok: true, httpStatus: status })
        }
      }))

    it('fails any other answer, and says which status came back', () =>
      withCaller(async (f) => {
        for (const status of [302, 400, 403, 404, 500]) {
          const call = callOf(`no-${status}`, await f.arrange(`no-${status}`, [status]))
          const answer = await f.caller.call(call)
          expectWellFormed(answer)
          expect(answer).toMatchObject({ ok: false, httpStatus: status })
          expect(answer.explanation).toContain(String(status))
        }
      }))

    it('gives each webhook its own answer, also when they are called at once', () =>
      withCaller(async (f) => {
        const arranged: [string, number][] = [
          ['gate-a', 200],
          ['gate-b', 403],
          ['gate-c', 202],
          ['gate-d', 500],
        ]
        const calls = await Promise.all(
          arranged.map(async ([hook, status]) => callOf(hook, await f.arrange(hook, [status]))),
        )
        const answers = await Promise.all(calls.map((c) => f.caller.call(c)))
        expect(answers.map((a) => [a.ok, a.httpStatus])).toEqual([
          [true, 200],
          [false, 403],
          [true, 202],
          [false, 500],
        ])
      }))

    it('asks a webhook again when called again: a closed gate can open and close', () =>
      withCaller(async (f) => {
        const target = await f.arrange('gate', [403])
        expect((await f.caller.call(callOf('gate', target))).ok).toBe(false)
        await f.arrange('gate', [200])
        expect((await f.caller.call(callOf('gate', target))).ok).toBe(true)
        await f.arrange('gate', [403])
        expect((await f.caller.call(callOf('gate', target))).ok).toBe(false)
      }))

    it('leaves the call it is handed as it was (the status keeps it)', () =>
      withCaller(async (f) => {
        for (const status of [200, 403]) {
          const call = callOf(`kept-${status}`, await f.arrange(`kept-${status}`, [status]))
          const before = structuredClone(call)
          await f.caller.call(call)
          expect(call).toEqual(before)
        }
      }))

    if (more.includes('delivery'))
      it("delivers the payload as a JSON POST to the webhook's receiver, once per call", () =>
        withCaller(async (f) => {
          const call = callOf('delivered', await f.arrange('delivered', [200]))
          await f.caller.call(call)
          await f.caller.call(call)
          const got = f.received?.('delivered') ?? []
          expect(got).toHaveLength(2)
          for (const g of got) {
            expect(g.method).toBe('POST')
            expect(g.contentType).toMatch(/^application\/json\b/)
            expect(g.body).toEqual(call.payload)
          }
        }))

    if (more.includes('timeout'))
      it('fails a call that gets no answer in time, at its timeout, with no status', () =>
        withCaller(async (f) => {
          const call = callOf('slow', await f.arrange('slow', ['hang']), { timeoutSeconds: 0.3 })
          const started = Date.now()
          const answer = await f.caller.call(call)
          const took = Date.now() - started
          expectWellFormed(answer)
          expect(answer).toMatchObject({ ok: false, httpStatus: null, attempts: 1 })
          expect(answer.explanation).toMatch(/within/)
          expect(took).toBeGreaterThanOrEqual(250)
          expect(took).toBeLessThan(2500)
        }))

    if (more.includes('retries'))
      it('retries a 5xx or a 429 up to its retries, and never a 4xx', () =>
        withCaller(async (f) => {
          const flaky = callOf('flaky', await f.arrange('flaky', [503, 429, 200]), { retries: 2 })
          expect(await f.caller.call(flaky)).toMatchObject({
            ok: true,
            httpStatus: 200,
            attempts: 3,
          })
          expect(f.received?.('flaky')).toHaveLength(3)

          const broken = callOf('broken', await f.arrange('broken', [503]), { retries: 1 })
          const failed = await f.caller.call(broken)
          expectWellFormed(failed)
          expect(failed).toMatchObject({ ok: false, httpStatus: 503, attempts: 2 })
          expect(f.received?.('broken')).toHaveLength(2)

          const refused = callOf('refused', await f.arrange('refused', [403, 200]), { retries: 2 })
          expect(await f.caller.call(refused)).toMatchObject({
            ok: false,
            httpStatus: 403,
            attempts: 1,
          })
          expect(f.received?.('refused')).toHaveLength(1)
        }))

    if (more.includes('down'))
      it('answers, never throws, when nothing listens where the webhook is called', () =>
        withCaller(async (f) => {
          const call = callOf('gone', await f.arrange('gone', ['down']), { retries: 1 })
          const answer = await f.caller.call(call)
          expectWellFormed(answer)
          // No answer came back: a retry is due, as for a timeout.
          expect(answer).toMatchObject({ ok: false, httpStatus: null, attempts: 2 })
        }))
  })
}
