/**
 * Two controller replicas campaigning for one Lease: only the leader reconciles (the standby has
 * synced caches and writes nothing); when the leader is killed with SIGKILL the standby takes the
 * lease once it lapses and carries the rollout on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESOURCES, type KubeObject } from '../../src/kubernetes/kit/types.js'
import { startController, type ControllerProcess } from './support/controller.js'
import { get, setVersion, testNamespace, deployment, applyObject, waitFor } from './support/kube.js'
import {
  annotateCommand,
  applyRollout,
  rolloutManifest,
  waitForStatus,
} from './support/scenario.js'

let ns: Awaited<ReturnType<typeof testNamespace>>
const replicas: ControllerProcess[] = []
beforeAll(async () => {
  ns = await testNamespace('leader')
  await applyObject(deployment(ns.name, 'web', '1', 2))
})
afterAll(async () => {
  for (const r of replicas) await r.stop()
  await ns.delete()
})

const metric = async (c: ControllerProcess, name: string): Promise<number> =>
  Number(new RegExp(`^${name} (\\d+)`, 'm').exec(await c.metrics())?.[1] ?? '0')

/** Requests that change something, other than those about the Lease. */
const writes = async (c: ControllerProcess): Promise<number> => {
  const text = await c.metrics()
  let n = 0
  for (const m of text.matchAll(
    /^kanari_api_requests_total\{verb="(\w+)[^"]*",resource="([^"]*)"\} (\d+)/gm,
  ))
    if (m[1] !== 'GET' && m[1] !== 'WATCH' && m[2] !== 'leases') n += Number(m[3])
  return n
}

describe('leader election between two replicas', () => {
  it('lets only the leader act, and the standby take over when the leader dies', async () => {
    for (const identity of ['replica-a', 'replica-b'])
      replicas.push(await startController({ namespace: ns.name, leaderElection: true, identity }))
    const [a, b] = replicas as [ControllerProcess, ControllerProcess]
    const leader = await Promise.race([a.leading.then(() => a), b.leading.then(() => b)])
    const standby = leader === a ? b : a
    const lease = await get<KubeObject & { spec: { holderIdentity: string } }>(
      RESOURCES.leases,
      ns.name,
      'kanari-controller',
    )
    expect(lease.spec.holderIdentity).toBe(
      `${leader === a ? 'replica-a' : 'replica-b'}-${leader.pid}`,
    )

    await applyRollout(
      rolloutManifest(ns.name, 'web', {
        strategy: { canary: { steps: [{ setWeight: 30 }, { pause: {} }] } },
      }),
    )
    await waitForStatus(ns.name, 'web', 'healthy', (s) => s.phase === 'Healthy')
    await setVersion(ns.name, 'web', '2')
    await waitForStatus(
      ns.name,
      'web',
      'paused at 30%',
      (s) => s.phase === 'Paused' && s.weight === 30,
    )
    expect(await metric(leader, 'kanari_leader')).toBe(1)
    expect(await metric(standby, 'kanari_leader')).toBe(0)
    expect(await metric(leader, 'kanari_reconciles_total')).toBeGreaterThan(0)
    expect(await metric(standby, 'kanari_reconciles_total')).toBe(0)
    // the standby writes nothing but its attempts at the Lease
    expect(await writes(standby)).toBe(0)
    expect(await writes(leader)).toBeGreaterThan(0)
    expect(standby.log.join('\n')).not.toMatch(/ reconciles$/m)

    await leader.kill()
    await standby.leading
    const taken = await waitFor('the lease to name the standby', async () => {
      const l = await get<
        KubeObject & { spec: { holderIdentity: string; leaseTransitions: number } }
      >(RESOURCES.leases, ns.name, 'kanari-controller')
      return l.spec.holderIdentity === `${standby === a ? 'replica-a' : 'replica-b'}-${standby.pid}`
        ? l
        : undefined
    })
    expect(taken.spec.leaseTransitions).toBeGreaterThanOrEqual(1)
    await annotateCommand(ns.name, 'web', 'promote')
    await waitForStatus(
      ns.name,
      'web',
      'promoted by the new leader',
      (s) => s.phase === 'Healthy' && s.stable === 2,
    )
    expect(await metric(standby, 'kanari_reconciles_total')).toBeGreaterThan(0)
    expect(await writes(standby)).toBeGreaterThan(0)
  })
})
