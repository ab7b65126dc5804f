/** When pods a route change took traffic from may go: drainSeconds after it, once the gateway saw it. */
import { describe, expect, it } from 'vitest'
import { OBSERVE_LIMIT_MS, RouteDrain } from './route-drain.js'

function drain(observed: { now: boolean }) {
  const clock = { now: 1_000_000 }
  const d = new RouteDrain({
    drainMs: () => 5000,
    now: () => clock.now,
    observed: () => Promise.resolve(observed.now),
  })
  return { d, clock }
}

describe('route drain', () => {
  it('lets pods go at once when this process wrote no route', async () => {
    const { d } = drain({ now: false })
    expect(await d.waitMs()).toBe(0)
  })

  it('holds pods for drainSeconds after a route change, then until the gateway reports it', async () => {
    const observed = { now: false }
    const { d, clock } = drain(observed)
    d.changed()
    expect(await d.waitMs()).toBe(5000)
    clock.now += 4000
    expect(await d.waitMs()).toBe(1000)
    clock.now += 1000
    expect(await d.waitMs()).toBeGreaterThan(0)
    observed.now = true
    expect(await d.waitMs()).toBe(0)
    // A new route change starts the wait again.
    d.changed()
    expect(await d.waitMs()).toBe(5000)
  })

  it('gives up waiting for a gateway that never reports', async () => {
    const { d, clock } = drain({ now: false })
    d.changed()
    clock.now += 5000 + OBSERVE_LIMIT_MS - 1
    expect(await d.waitMs()).toBeGreaterThan(0)
    clock.now += 1
    expect(await d.waitMs()).toBe(0)
  })
})
