/**
 * Leader election over a Lease in the in-memory API: only the leader reconciles, a standby takes
 * the lease when the leader lets it go, and a leader whose lease is taken stops reconciling.
 */
import { describe, expect, it } from 'vitest'
import { LeaderElector } from '../kit/leader-election.js'
import { MemoryKubeApi } from '../kit/memory-api/memory-api.js'
import { RESOURCES, type KubeObject } from '../kit/types.js'
import { KanariController } from './controller.js'
import { FINALIZER } from './finalizer.js'
import { NS, rolloutObject, userDeployment } from './test-utils/reconciler-fixture.js'

const fast = { leaseDurationSeconds: 0.4, renewDeadlineSeconds: 0.2, retryPeriodSeconds: 0.02 }

async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const end = Date.now() + 10_000
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

type Lease = KubeObject & { spec?: { holderIdentity?: string; renewTime?: string } }

describe('leader election on the in-memory API', () => {
  it('one leader at a time; the standby takes over when the leader steps down', async () => {
    const api = new MemoryKubeApi()
    const leading: string[] = []
    const elector = (identity: string) =>
      new LeaderElector(api, {
        namespace: NS,
        name: 'kanari',
        identity,
        ...fast,
        onStartedLeading: () => leading.push(identity),
        onStoppedLeading: () => leading.push(`${identity} stopped`),
      })
    const a = elector('a')
    const b = elector('b')
    a.start()
    await until('a to lead', () => (a.isLeader ? true : undefined))
    b.start()
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20))
    expect(b.isLeader).toBe(false)
    await a.stop()
    await until('b to lead', () => (b.isLeader ? true : undefined))
    expect(leading).toEqual(['a', 'b'])
    const lease = await api.get<Lease>(RESOURCES.leases, NS, 'kanari')
    expect(lease.spec?.holderIdentity).toBe('b')
    await b.stop()
  })

  it('a controller whose lease is taken stops reconciling and says why', async () => {
    const api = new MemoryKubeApi()
    const logs: string[] = []
    const controller = await KanariController.startOn(api, {
      metricsAddress: '',
      leaderElection: { enabled: true, namespace: NS, name: 'kanari', identity: 'me', ...fast },
      tickSeconds: 1,
      resyncSeconds: 30,
      workers: 1,
      metrics: () => ({}),
      log: (line) => logs.push(line),
    })
    await api.create(RESOURCES.deployments, NS, userDeployment('web', '1'))
    await api.create(
      RESOURCES.rollouts,
      NS,
      rolloutObject('web', { strategy: { canary: { steps: [{ setWeight: 20 }] } } }),
    )
    await until('the leader to reconcile the Rollout', async () =>
      (await api.get<KubeObject>(RESOURCES.rollouts, NS, 'web')).metadata.finalizers?.includes(
        FINALIZER,
      )
        ? true
        : undefined,
    )
    expect(controller.isLeader).toBe(true)
    // another replica takes the lease (it renews it from now on)
    const steal = setInterval(() => {
      void api
        .get<Lease>(RESOURCES.leases, NS, 'kanari')
        .then((lease) =>
          api.replace(RESOURCES.leases, NS, {
            ...lease,
            spec: { ...lease.spec, holderIdentity: 'other', renewTime: new Date().toISOString() },
          }),
        )
        .catch(() => undefined)
    }, 10)
    try {
      expect(await controller.done).toBe('lost leadership')
    } finally {
      clearInterval(steal)
    }
    expect(controller.isLeader).toBe(false)
    expect(logs.join('\n')).toMatch(/me lost the lease/)
    // stopped: a change to the Rollout is no longer acted on
    const processed = controller.queue.processed
    await api.patch(RESOURCES.rollouts, NS, 'web', { metadata: { finalizers: null } })
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20))
    expect(controller.queue.processed).toBe(processed)
    expect(
      (await api.get<KubeObject>(RESOURCES.rollouts, NS, 'web')).metadata.finalizers,
    ).toBeUndefined()
  })
})
