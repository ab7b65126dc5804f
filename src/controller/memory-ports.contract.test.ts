/**
 * The in-memory ports against their contracts: the router simulate and the engine tests route by
 * (with every capability, and with weights only) and the memory store.
 */
import { initialStatus } from '../engine/status.js'
import { MemoryRolloutStore } from './memory-store.js'
import { MemoryRouter } from './memory-router.js'
import { runRolloutStoreContract } from './test-utils/rollout-store-contract.js'
import { runTrafficRouterContract } from './test-utils/traffic-router-contract.js'

const done = (): Promise<void> => Promise.resolve()

runTrafficRouterContract('memory router (simulate)', () =>
  Promise.resolve({ router: new MemoryRouter(), close: done }),
)

runTrafficRouterContract('memory router, weights only', () =>
  Promise.resolve({
    router: new MemoryRouter({ weights: true, headerRoutes: false, mirror: false }),
    close: done,
  }),
)

runRolloutStoreContract('memory store', () => {
  const store = new MemoryRolloutStore()
  store.create('a', initialStatus())
  store.create('b', initialStatus())
  return Promise.resolve({ store, close: done })
})
