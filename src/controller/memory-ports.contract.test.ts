/**
 * The in-memory ports against their contracts: the router simulate and the engine tests route by
 * (with every capability, and with weights only), the memory store, the memory event sink,
 * simulate's webhooks (each answered with the status the user gave, none called), and the engine
 * tests' replicas (ready at once, and two ticks after a scale up).
 */
import { initialStatus } from '../engine/status.js'
import { SimulatedWebhooks } from '../simulate/simulated-webhooks.js'
import { MemoryEventSink } from './memory-sink.js'
import { MemoryRolloutStore } from './memory-store.js'
import { MemoryRouter } from './memory-router.js'
import { runEventSinkContract } from './test-utils/event-sink-contract.js'
import { runRolloutStoreContract } from './test-utils/rollout-store-contract.js'
import { runTrafficRouterContract } from './test-utils/traffic-router-contract.js'
import { runWebhookCallerContract } from './test-utils/webhook-caller-contract.js'
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

runWebhookCallerContract('simulated webhooks (simulate)', () => {
  const statuses: Record<string, number> = {}
  return Promise.resolve({
    caller: new SimulatedWebhooks(statuses),
    arrange: (name, replies) => {
      const [status, ...more] = replies
      // Simulate answers each webhook with one status, from memory: nothing hangs or is down.
      if (typeof status !== 'number' || more.length > 0)
        throw new Error(`simulated webhooks answer with one status, not ${replies.join(', ')}`)
      statuses[name] = status
      return Promise.resolve({ kind: 'url', url: `http://simulated.invalid/${name}` })
    },
    close: done,
  })
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

runEventSinkContract('memory sink', () => {
  const sink = new MemoryEventSink()
  return Promise.resolve({
    sink,
    persist: done,
    passedOn: (rollout) => Promise.resolve(sink.eventsOf(rollout)),
    close: done,
  })
})
