/**
 * The in-memory ports against their contracts: the router simulate and the engine tests route by
 * (with every capability, and with weights only), the memory store, and the engine tests' replicas
 * (ready at once, and two ticks after a scale up).
 */
import { initialStatus } from '../engine/status.js'
import { MemoryRolloutStore } from './memory-store.js'
import { MemoryRouter } from './memory-router.js'
import { runRolloutStoreContract } from './test-utils/rollout-store-contract.js'
import { runTrafficRouterContract } from './test-utils/traffic-router-contract.js'
import { runWorkloadDriverContract } from './test-utils/workload-driver-contract.js'
import { TickedWorkloads } from './test-utils/world.js'

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

for (const readyDelayTicks of [0, 2])
  runWorkloadDriverContract(`memory replicas (ready ${readyDelayTicks} ticks later)`, () => {
    const driver = new TickedWorkloads()
    driver.readyDelayTicks = readyDelayTicks
    const pass = (): Promise<void> => {
      driver.advance()
      return Promise.resolve()
    }
    return Promise.resolve({ driver, pass, patience: 5, close: done })
  })
