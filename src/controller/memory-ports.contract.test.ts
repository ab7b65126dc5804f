/**
 * The in-memory ports against their contracts: the router simulate and the engine tests route by
 * (with every capability, and with weights only), the memory store and the memory event sink.
 */
import { initialStatus } from '../engine/status.js'
import { MemoryEventSink } from './memory-sink.js'
import { MemoryRolloutStore } from './memory-store.js'
import { MemoryRouter } from './memory-router.js'
import { runEventSinkContract } from './test-utils/event-sink-contract.js'
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

runEventSinkContract('memory sink', () => {
  const sink = new MemoryEventSink()
  return Promise.resolve({
    sink,
    persist: done,
    passedOn: (rollout) => Promise.resolve(sink.eventsOf(rollout)),
    close: done,
  })
})
