/**
 * The contract every `EventSink` passes: it is handed a rollout's events after they are persisted
 * and passes each on once, as it was given, in order, under its own rollout; `publish` returns at
 * once with nothing to wait for (a tick never waits on a sink), and an empty publish passes nothing on.
 */
import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../engine/events.js'
import type { EventSink } from '../ports.js'
import { rolledBack, shifted } from './sample-events.js'

export interface SinkFixture {
  /** A sink for the rollouts `a` and `b`. */
  sink: EventSink
  /**
   * Saves `events` of `rollout` where the sink reads persisted events, as the runner does before it
   * publishes them; does nothing for a sink that reads none.
   */
  persist(rollout: string, events: EngineEvent[]): Promise<void>
  /** What the sink has passed on for `rollout` (to its listeners, log, …), as events, in order. */
  passedOn(rollout: string): Promise<EngineEvent[]>
  close(): Promise<void>
}

export function runEventSinkContract(name: string, newSink: () => Promise<SinkFixture>): void {
  describe(`EventSink contract: ${name}`, () => {
    const withSink = async (fn: (fixture: SinkFixture) => Promise<void>): Promise<void> => {
      const fixture = await newSink()
      try {
        await fn(fixture)
      } finally {
        await fixture.close()
      }
    }

    /** What the runner does: persist, then publish. */
    const deliver = async (f: SinkFixture, rollout: string, events: EngineEvent[]) => {
      await f.persist(rollout, events)
      f.sink.publish(rollout, events)
    }

    it('passes on each event once, as it was given, in order', () =>
      withSink(async (f) => {
        await deliver(f, 'a', [shifted(1, 5)])
        await deliver(f, 'a', [shifted(2, 25), rolledBack])
        expect(await f.passedOn('a')).toEqual([shifted(1, 5), shifted(2, 25), rolledBack])
      }))

    it('keeps rollouts apart', () =>
      withSink(async (f) => {
        await deliver(f, 'a', [shifted(1, 5)])
        await deliver(f, 'b', [shifted(2, 50)])
        await deliver(f, 'a', [rolledBack])
        expect(await f.passedOn('a')).toEqual([shifted(1, 5), rolledBack])
        expect(await f.passedOn('b')).toEqual([shifted(2, 50)])
      }))

    it('returns at once with nothing to wait for; an empty publish passes nothing on', () =>
      withSink(async (f) => {
        await f.persist('a', [shifted(1, 5)])
        // A promise here would be a tick waiting on (or an unhandled failure of) a sink.
        const returned: unknown = f.sink.publish('a', [shifted(1, 5)])
        expect(returned).toBeUndefined()
        expect(f.sink.publish('b', [])).toBeUndefined()
        expect(await f.passedOn('a')).toEqual([shifted(1, 5)])
        expect(await f.passedOn('b')).toEqual([])
      }))
  })
}
