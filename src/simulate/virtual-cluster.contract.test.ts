/** Simulate's replicas in virtual time against the WorkloadDriver contract: each pass is a second. */
import { runWorkloadDriverContract } from '../controller/test-utils/workload-driver-contract.js'
import { VirtualCluster } from './virtual-cluster.js'

runWorkloadDriverContract('virtual cluster (ready 3 s later)', () => {
  let now = 1_700_000_000_000
  const driver = new VirtualCluster(() => now, 3)
  const pass = (): Promise<void> => {
    now += 1000
    return Promise.resolve()
  }
  return Promise.resolve({ driver, pass, patience: 10, close: () => Promise.resolve() })
})
