/** The in-memory Kubernetes API against the KubeApi contract (the real server runs it in test/k8s). */
import { runKubeApiContract } from '../test-utils/kube-api-contract.js'
import { MemoryKubeApi } from './memory-api.js'

runKubeApiContract({
  newApi: () => {
    const api = new MemoryKubeApi()
    return { api, namespace: 'contract', expireHistory: () => api.compact() }
  },
})
