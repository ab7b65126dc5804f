/**
 * The contract every `WorkloadDriver` passes: the replicas asked for read back as desired as soon as
 * `scale` returns and become ready in time, a scale down or to zero is carried out, asking again for
 * the same count disturbs nothing, revisions are independent, and `observe` answers for the
 * revisions asked and no others. Each implementation's test calls this once.
 */
import { describe, expect, it } from 'vitest'
import type { VersionObservation } from '../../engine/types.js'
import type { WorkloadDriver } from '../ports.js'

export interface WorkloadFixture {
  driver: WorkloadDriver
  /**
   * Lets the driver's time move on a little, for replicas to start or stop: a tick in memory, a
   * short real wait for processes. The contract waits for a state by observing between passes.
   */
  pass(): Promise<void>
  /** How many passes a state may take to arrive before the case fails. */
  patience: number
  close(): Promise<void>
}

const nothing: VersionObservation = { desired: 0, ready: 0, crashLooping: false }

/** What the engine reads for `revision`: a revision left out of an answer is nothing running. */
function read(answer: Record<string, VersionObservation>, revision: number): VersionObservation {
  return answer[String(revision)] ?? nothing
}

export function runWorkloadDriverContract(
  name: string,
  newDriver: () => Promise<WorkloadFixture>,
): void {
  describe(`WorkloadDriver contract: ${name}`, () => {
    const withDriver = async (fn: (fixture: WorkloadFixture) => Promise<void>): Promise<void> => {
      const fixture = await newDriver()
      try {
        await fn(fixture)
      } finally {
        await fixture.close()
      }
    }

    /**
     * Observes `revisions` until `holds` is true of the answer, checking on every answer that no
     * revision reads more replicas ready than desired; fails after the fixture's patience.
     */
    const until = async (
      fixture: WorkloadFixture,
      revisions: number[],
      holds: (answer: Record<string, VersionObservation>) => boolean,
      what: string,
    ): Promise<Record<string, VersionObservation>> => {
      let answer: Record<string, VersionObservation> = {}
      for (let i = 0; i <= fixture.patience; i++) {
        answer = await fixture.driver.observe(revisions)
        for (const r of revisions) {
          const v = read(answer, r)
          expect(v.ready, `revision ${r}: ready ${v.ready} of ${v.desired}`).toBeLessThanOrEqual(
            v.desired,
          )
        }
        if (holds(answer)) return answer
        await fixture.pass()
      }
      throw new Error(`${what}: not reached; last answer ${JSON.stringify(answer)}`)
    }

    const allReady =
      (revision: number, replicas: number) => (a: Record<string, VersionObservation>) =>
        read(a, revision).desired === replicas && read(a, revision).ready === replicas

    it('reads a revision it was never asked for as nothing running', () =>
      withDriver(async ({ driver }) => {
        const answer = await driver.observe([7])
        expect(read(answer, 7)).toEqual(nothing)
      }))

    it('reads the replicas asked for as desired once scale returns, and all of them ready in time', () =>
      withDriver(async (fixture) => {
        await fixture.driver.scale(1, 2)
        expect(read(await fixture.driver.observe([1]), 1).desired).toBe(2)
        const ready = await until(fixture, [1], allReady(1, 2), 'revision 1 at 2/2')
        expect(read(ready, 1).crashLooping).toBe(false)
        expect(read(ready, 1).problem).toBeUndefined()
      }))

    it('scales down to fewer replicas: desired drops when scale returns, ready follows', () =>
      withDriver(async (fixture) => {
        await fixture.driver.scale(1, 3)
        await until(fixture, [1], allReady(1, 3), 'revision 1 at 3/3')
        await fixture.driver.scale(1, 1)
        expect(read(await fixture.driver.observe([1]), 1).desired).toBe(1)
        await until(fixture, [1], allReady(1, 1), 'revision 1 down to 1/1')
      }))

    it('scaled to zero, a revision reads as nothing running', () =>
      withDriver(async (fixture) => {
        await fixture.driver.scale(1, 2)
        await until(fixture, [1], allReady(1, 2), 'revision 1 at 2/2')
        await fixture.driver.scale(1, 0)
        await until(
          fixture,
          [1],
          (a) => read(a, 1).desired === 0 && read(a, 1).ready === 0,
          'revision 1 gone',
        )
      }))

    it('asking again for the replicas a revision has leaves them as they are', () =>
      withDriver(async (fixture) => {
        await fixture.driver.scale(1, 2)
        await until(fixture, [1], allReady(1, 2), 'revision 1 at 2/2')
        await fixture.driver.scale(1, 2)
        expect(read(await fixture.driver.observe([1]), 1)).toMatchObject({ desired: 2, ready: 2 })
        await fixture.pass()
        expect(read(await fixture.driver.observe([1]), 1)).toMatchObject({ desired: 2, ready: 2 })
      }))

    it('keeps revisions apart: scaling one leaves the others as they are', () =>
      withDriver(async (fixture) => {
        await fixture.driver.scale(1, 2)
        await fixture.driver.scale(2, 1)
        await until(
          fixture,
          [1, 2],
          (a) => allReady(1, 2)(a) && allReady(2, 1)(a),
          'revision 1 at 2/2 and revision 2 at 1/1',
        )
        await fixture.driver.scale(2, 0)
        const after = await until(
          fixture,
          [1, 2],
          (a) => read(a, 2).desired === 0 && read(a, 2).ready === 0,
          'revision 2 gone',
        )
        expect(read(after, 1)).toMatchObject({ desired: 2, ready: 2 })
      }))

    it('answers for the revisions asked and no others', () =>
      withDriver(async (fixture) => {
        await fixture.driver.scale(1, 1)
        await fixture.driver.scale(2, 1)
        await until(fixture, [1, 2], (a) => allReady(1, 1)(a) && allReady(2, 1)(a), 'both ready')
        const answer = await fixture.driver.observe([2])
        expect(Object.keys(answer)).toEqual(['2'])
        expect(read(answer, 2)).toMatchObject({ desired: 1, ready: 1 })
      }))
  })
}
