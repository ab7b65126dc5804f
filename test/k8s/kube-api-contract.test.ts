/**
 * The KubeApi contract on the real API server: the same checks the in-memory API passes in the unit
 * suite (src/kubernetes/kit/memory-api/memory-api.test.ts), so the fake cannot drift from the server.
 */
import { runKubeApiContract } from '../../src/kubernetes/kit/test-utils/kube-api-contract.js'
import { kube, testNamespace } from './support/kube.js'

runKubeApiContract({
  newApi: async () => {
    const namespace = await testNamespace('api-contract')
    return { api: await kube(), namespace: namespace.name, close: () => namespace.delete() }
  },
})
