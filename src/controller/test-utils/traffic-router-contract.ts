/**
 * The contract every `TrafficRouter` passes: it reads back exactly what it put in place, a later
 * state replaces an earlier one entirely, applying twice is harmless, and traffic beyond its
 * capabilities is refused, never dropped silently. Each implementation's test calls this once.
 */
import { describe, expect, it } from 'vitest'
import type { TrafficState } from '../../engine/status.js'
import type { TrafficRouter } from '../ports.js'

export interface RouterFixture {
  router: TrafficRouter
  close(): Promise<void>
}

const stableOnly: TrafficState = {
  stableRevision: 1,
  canaryRevision: null,
  canaryWeight: 0,
  headerRoutes: [],
  mirror: null,
}
const split: TrafficState = { ...stableOnly, canaryRevision: 2, canaryWeight: 30 }
const routed: TrafficState = {
  ...split,
  canaryWeight: 0,
  headerRoutes: [
    { name: 'beta', match: [{ headerName: 'x-canary', headerValue: { exact: 'true' } }] },
  ],
  mirror: { name: 'shadow', percentage: 50, match: [] },
}

export function runTrafficRouterContract(
  name: string,
  newRouter: () => Promise<RouterFixture>,
): void {
  describe(`TrafficRouter contract: ${name}`, () => {
    const withRouter = async (fn: (router: TrafficRouter) => Promise<void>): Promise<void> => {
      const fixture = await newRouter()
      try {
        await fn(fixture.router)
      } finally {
        await fixture.close()
      }
    }

    it('reads back nothing before anything is applied', () =>
      withRouter(async (router) => {
        expect(await router.verify()).toBeNull()
      }))

    it('reads back exactly the states it applied, each replacing the one before', () =>
      withRouter(async (router) => {
        await router.apply(stableOnly)
        expect(await router.verify()).toEqual(stableOnly)
        await router.apply(split)
        expect(await router.verify()).toEqual(split)
        if (router.capabilities.headerRoutes && router.capabilities.mirror) {
          await router.apply(routed)
          expect(await router.verify()).toEqual(routed)
        }
        // routes and mirrors of an earlier state are gone once a state without them is applied
        await router.apply({ ...split, canaryWeight: 100 })
        expect(await router.verify()).toEqual({ ...split, canaryWeight: 100 })
        await router.apply(stableOnly)
        expect(await router.verify()).toEqual(stableOnly)
      }))

    it('applying the same state twice leaves it as it was', () =>
      withRouter(async (router) => {
        await router.apply(split)
        await router.apply(split)
        expect(await router.verify()).toEqual(split)
      }))

    it('refuses traffic it cannot carry out and keeps what was in place', () =>
      withRouter(async (router) => {
        await router.apply(stableOnly)
        const beyond: TrafficState[] = []
        if (!router.capabilities.weights) beyond.push(split)
        if (!router.capabilities.headerRoutes || !router.capabilities.mirror) beyond.push(routed)
        for (const traffic of beyond) {
          await expect(router.apply(traffic)).rejects.toThrow(/cannot carry out/)
          expect(await router.verify()).toEqual(stableOnly)
        }
      }))
  })
}
