/**
 * The contract every `RolloutStore` passes: a status and its events are saved together and come back
 * as they went in (typed events, in order, with growing ids); an unknown rollout is refused and
 * changes nothing; `sinceId` and `limit` page the log.
 */
import { describe, expect, it } from 'vitest'
import { initialStatus, type RolloutStatus } from '../../engine/status.js'
import type { RolloutStore } from '../ports.js'
import { rolledBack, shifted } from './sample-events.js'

export interface StoreFixture {
  /** A store that knows the rollouts `a` and `b` (with the initial status), and no other. */
  store: RolloutStore
  close(): Promise<void>
}

function statusAt(weight: number): RolloutStatus {
  const s = initialStatus()
  s.phase = 'Progressing'
  s.revision = 2
  s.stableRevision = 1
  s.canaryRevision = 2
  s.traffic = { ...s.traffic, stableRevision: 1, canaryRevision: 2, canaryWeight: weight }
  return s
}

export function runRolloutStoreContract(name: string, newStore: () => Promise<StoreFixture>): void {
  describe(`RolloutStore contract: ${name}`, () => {
    const withStore = async (fn: (store: RolloutStore) => Promise<void>): Promise<void> => {
      const fixture = await newStore()
      try {
        await fn(fixture.store)
      } finally {
        await fixture.close()
      }
    }

    it('saves a status with its events and gives both back as they went in', () =>
      withStore(async (store) => {
        expect(await store.loadStatus('a')).toEqual(initialStatus())
        await store.saveStatus('a', statusAt(5), [shifted(1, 5)])
        await store.saveStatus('a', statusAt(25), [shifted(2, 25), rolledBack])
        expect(await store.loadStatus('a')).toEqual(statusAt(25))
        const events = await store.events('a')
        expect(events.map(({ id: _id, rollout: _rollout, ...e }) => e)).toEqual([
          shifted(1, 5),
          shifted(2, 25),
          rolledBack,
        ])
        expect(events.every((e) => e.rollout === 'a')).toBe(true)
        const ids = events.map((e) => e.id)
        expect([...ids].sort((x, y) => x - y)).toEqual(ids)
        expect(new Set(ids).size).toBe(ids.length)
      }))

    it('keeps rollouts apart', () =>
      withStore(async (store) => {
        await store.saveStatus('a', statusAt(5), [shifted(1, 5)])
        expect(await store.loadStatus('b')).toEqual(initialStatus())
        expect(await store.events('b')).toEqual([])
      }))

    it('pages the log with sinceId and limit (the newest kept)', () =>
      withStore(async (store) => {
        for (let i = 1; i <= 5; i++) await store.saveStatus('a', statusAt(i), [shifted(i, i)])
        const all = await store.events('a')
        expect(all.map((e) => e.at)).toEqual([1, 2, 3, 4, 5])
        const second = all[1]?.id ?? 0
        expect((await store.events('a', { sinceId: second })).map((e) => e.at)).toEqual([3, 4, 5])
        expect((await store.events('a', { limit: 2 })).map((e) => e.at)).toEqual([4, 5])
      }))

    it('refuses a rollout it does not know and stores nothing for it', () =>
      withStore(async (store) => {
        await expect(store.saveStatus('missing', statusAt(5), [shifted(1, 5)])).rejects.toThrow(
          /missing/,
        )
        expect(await store.loadStatus('missing')).toBeUndefined()
        expect(await store.events('missing')).toEqual([])
      }))
  })
}
