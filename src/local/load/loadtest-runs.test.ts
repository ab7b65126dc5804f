/**
 * The daemon's load runs against a real receiver: one run per owner and request while it goes on,
 * at most eight at once, each ending by itself with a summary, and stopped by owner on demand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../../test/helpers/processes.js'
import { ConflictError } from '../../errors.js'
import { HookReceiver } from '../../webhooks/test-utils/hook-receiver.js'
import { parseLoadtestBody, type LoadtestRequest } from './loadtest-request.js'
import { LoadtestRuns, MAX_RUNNING_LOADTESTS } from './loadtest-runs.js'

let receiver: HookReceiver
beforeAll(async () => {
  receiver = await HookReceiver.start()
})
afterAll(() => receiver.close())

function request(path: string, durationSeconds: number): LoadtestRequest {
  return {
    url: receiver.url(path),
    method: 'GET',
    headers: { 'x-run': path },
    ratePerSecond: 20,
    durationSeconds,
    concurrency: 2,
  }
}

describe('LoadtestRuns', () => {
  it('runs one per owner and request at a time, and ends each by itself with a summary', async () => {
    const runs = new LoadtestRuns()
    const first = runs.start('checkout.default', request('/a', 1))
    const again = runs.start('checkout.default', request('/a', 1))
    const other = runs.start('search.default', request('/a', 1))
    expect(first.started).toBe(true)
    expect(again).toMatchObject({ started: false, run: { id: first.run.id } })
    expect(other.started).toBe(true)
    // Each run ends by itself after its second; nothing here stops them.
    await waitFor(
      () => runs.list().every((r) => r.state !== 'running'),
      'both runs to end by themselves',
      10_000,
      20,
    )
    const ended = runs.list()
    expect(ended.map((r) => r.state)).toEqual(['finished', 'finished'])
    expect(ended[0]?.summary?.byStatus['200']).toBeGreaterThan(10)
    expect(receiver.on('/a').length).toBe((ended[0]?.sent ?? 0) + (ended[1]?.sent ?? 0))
    // ended, the same request starts a new run
    expect(runs.start('checkout.default', request('/a', 1)).started).toBe(true)
    await runs.stop()
  })

  it(`refuses a run beyond ${MAX_RUNNING_LOADTESTS} at once, and stops those of one owner`, async () => {
    const runs = new LoadtestRuns()
    for (let i = 0; i < MAX_RUNNING_LOADTESTS; i++)
      runs.start(i % 2 === 0 ? 'even' : 'odd', request(`/r${i}`, 60))
    const refused = (() => {
      try {
        runs.start('more', request('/more', 60))
      } catch (err) {
        return err
      }
      return undefined
    })()
    expect(refused).toBeInstanceOf(ConflictError)
    expect((refused as ConflictError).message).toBe(
      `${MAX_RUNNING_LOADTESTS} load tests are running already (at most ${MAX_RUNNING_LOADTESTS} at once)`,
    )
    await runs.stop('even')
    const states = runs.list().map((r) => [r.owner, r.state])
    expect(states.filter(([o]) => o === 'even').every(([, s]) => s === 'stopped')).toBe(true)
    expect(states.filter(([o]) => o === 'odd').every(([, s]) => s === 'running')).toBe(true)
    expect(runs.start('more', request('/more', 1)).started).toBe(true)
    await runs.stop()
    expect(runs.list().every((r) => r.state !== 'running')).toBe(true)
  })

  it('reads a webhook payload’s metadata as Flagger’s load tester does, and says every problem', () => {
    expect(
      parseLoadtestBody({
        name: 'podinfo',
        namespace: 'test',
        metadata: { url: 'http://127.0.0.1:9898/', rate: '5', duration: '1m', method: 'post' },
      }),
    ).toEqual({
      owner: 'podinfo.test',
      request: {
        url: 'http://127.0.0.1:9898/',
        method: 'POST',
        headers: {},
        ratePerSecond: 5,
        durationSeconds: 60,
        concurrency: 10,
      },
    })
    expect(() =>
      parseLoadtestBody({
        url: 'http://example.com/',
        rate: 0,
        duration: 'soon',
        concurrency: 1.5,
      }),
    ).toThrow(
      /cannot start the load test: duration: must be a duration like "30s", "5m", "1h" or a number of seconds \(got "soon"\); url: example\.com is not this machine.*; rate: must be above 0.*; concurrency: must be a whole number from 1 to 1000 \(got 1\.5\)/,
    )
    expect(() => parseLoadtestBody([])).toThrow(/the body must be a JSON object/)
  })
})
