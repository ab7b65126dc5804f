/**
 * The KubeApi contract on the real API server: the same checks the in-memory API passes in the unit
 * suite (src/kubernetes/kit/memory-api/memory-api.test.ts), so the fake cannot drift from the server.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runKubeApiContract } from '../../src/kubernetes/kit/test-utils/kube-api-contract.js'
import { RESOURCES } from '../../src/kubernetes/kit/types.js'
import { kube, testNamespace } from './support/kube.js'

/**
 * Compacts etcd up to now through its JSON gateway, as the API server does every few minutes: a
 * fresh test cluster has not compacted yet, and a watch from an old revision would replay it.
 * On someone else's cluster (no KANARI_K8S_DIR) revision 1 was compacted long ago.
 */
async function compactEtcd(): Promise<void> {
  const dir = process.env.KANARI_K8S_DIR
  if (dir === undefined || dir === '') return
  const port = /^ETCD_PORT=(\d+)$/m.exec(readFileSync(join(dir, 'env'), 'utf8'))?.[1]
  if (port === undefined) throw new Error(`no ETCD_PORT in ${join(dir, 'env')}`)
  const now = (await (await kube()).list(RESOURCES.namespaces)).metadata.resourceVersion
  const res = await fetch(`http://127.0.0.1:${port}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision: now, physical: true }),
  })
  if (!res.ok) throw new Error(`etcd compaction: ${res.status} ${await res.text()}`)
}

runKubeApiContract({
  newApi: async () => {
    const namespace = await testNamespace('api-contract')
    return {
      api: await kube(),
      namespace: namespace.name,
      expireHistory: compactEtcd,
      close: () => namespace.delete(),
    }
  },
})
