/** A target's revisions: recorded as ControllerRevisions, the latest REVISIONS_KEPT remembered. */
import { describe, expect, it } from 'vitest'
import { initialStatus } from '../../engine/status.js'
import { MemoryKubeApi } from '../kit/memory-api/memory-api.js'
import { RESOURCES, type KubeObject } from '../kit/types.js'
import type { RevisionTemplate } from '../workloads/deployment-workloads.js'
import type { Deployment } from '../workloads/deployments.js'
import type { ControllerBook } from './rollout-handle.js'
import { REVISIONS_KEPT, targetRevision } from './target-revision.js'
import { NS, rolloutObject, userDeployment } from './test-utils/reconciler-fixture.js'

describe('target revisions', () => {
  it('gives each new template the next revision, the same template the same one, and keeps the latest', async () => {
    const api = new MemoryKubeApi()
    const rollout = {
      ...rolloutObject('web', {}),
      metadata: { name: 'web', namespace: NS, uid: 'u1' },
    }
    const book: ControllerBook = { revisions: [], commands: {} }
    const templates = new Map<number, RevisionTemplate>()
    const status = initialStatus()
    const revisionOf = async (version: string) => {
      const revision = await targetRevision(
        api,
        rollout,
        status,
        book,
        templates,
        userDeployment('web', version) as Deployment,
      )
      status.revision = revision
      return revision
    }
    expect(await revisionOf('1')).toBe(1)
    expect(await revisionOf('1')).toBe(1)
    expect(await revisionOf('2')).toBe(2)
    for (let v = 3; v <= REVISIONS_KEPT + 5; v++) await revisionOf(String(v))
    expect(book.revisions).toHaveLength(REVISIONS_KEPT)
    expect(book.revisions[0]?.revision).toBe(6)
    expect(book.revisions.at(-1)?.revision).toBe(REVISIONS_KEPT + 5)
    const recorded = await api.list<KubeObject & { revision?: number }>(
      RESOURCES.controllerRevisions,
      NS,
      { labelSelector: 'kanari.dev/rollout=web' },
    )
    expect(recorded.items).toHaveLength(REVISIONS_KEPT + 5)
    expect(recorded.items[0]?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Rollout',
      uid: 'u1',
    })
  })
})
