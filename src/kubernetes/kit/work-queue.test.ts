/** The keyed work queue: dedup, one worker per key, per-key retry with backoff, delayed requeue. */
import { describe, expect, it } from 'vitest'
import { jitteredBackoffMs } from './backoff.js'
import { WorkQueue } from './work-queue.js'

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('WorkQueue', () => {
  it('runs a key added many times while waiting only once', async () => {
    const runs: string[] = []
    const q = new WorkQueue(async (key) => {
      runs.push(key)
      await new Promise((r) => setTimeout(r, 20))
      return undefined
    })
    for (let i = 0; i < 5; i++) q.add('a')
    q.add('b')
    q.start()
    await until(() => q.processed === 2)
    await q.stop()
    expect(runs.sort()).toEqual(['a', 'b'])
  })

  it('never runs one key on two workers; an add while it runs runs it again after', async () => {
    let running = 0
    let overlap = false
    let runs = 0
    const q = new WorkQueue(
      async () => {
        running++
        if (running > 1) overlap = true
        runs++
        await new Promise((r) => setTimeout(r, 30))
        running--
        return undefined
      },
      { concurrency: 4 },
    )
    q.start()
    q.add('k')
    await until(() => runs === 1)
    q.add('k')
    q.add('k')
    await until(() => q.processed === 2)
    await q.stop()
    expect(overlap).toBe(false)
    expect(runs).toBe(2)
  })

  it('retries a failing key with growing delays, and only that key', async () => {
    const attempts: number[] = []
    let other = 0
    const errors: number[] = []
    const q = new WorkQueue(
      (key) => {
        if (key === 'other') {
          other++
          return Promise.resolve(undefined)
        }
        attempts.push(Date.now())
        return attempts.length < 4 ? Promise.reject(new Error('boom')) : Promise.resolve(undefined)
      },
      { retryBaseMs: 20, retryMaxMs: 1000, onError: (_k, _e, ms) => errors.push(ms) },
    )
    q.start()
    q.add('bad')
    q.add('other')
    await until(() => attempts.length === 4)
    await q.stop()
    expect(other).toBe(1)
    expect(q.failed).toBe(3)
    expect(errors).toHaveLength(3)
    // base·2^(n-1) spread by ±50%: [10,30), [20,60), [40,120)
    errors.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(20 * 2 ** i * 0.5)
      expect(ms).toBeLessThan(20 * 2 ** i * 1.5)
    })
  })

  it('runs a key again after the delay its handler asks for', async () => {
    const at: number[] = []
    const q = new WorkQueue(() => {
      at.push(Date.now())
      return Promise.resolve(at.length < 2 ? { requeueAfterMs: 150 } : undefined)
    })
    q.start()
    q.add('k')
    await until(() => at.length === 2)
    await q.stop()
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(140)
  })

  it('caps the backoff', () => {
    for (let i = 0; i < 100; i++) expect(jitteredBackoffMs(50, 200, 30_000)).toBeLessThan(45_000)
  })
})
