/**
 * The controller kit against the real API server: an informer follows adds, updates and deletes
 * across a broken watch, and restarts a watch whose connection went silent (a loopback TCP proxy that
 * stops forwarding without closing, as a half-open connection does); two leader electors share one
 * Lease and the standby takes over when the leader steps down.
 */
import { createServer, Socket as NetSocket, type Server, type Socket } from 'node:net'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KubeClient } from '../../src/kubernetes/kit/client.js'
import { Informer } from '../../src/kubernetes/kit/informer.js'
import { LeaderElector } from '../../src/kubernetes/kit/leader-election.js'
import { RESOURCES, type KubeObject } from '../../src/kubernetes/kit/types.js'
import { KUBECONFIG, kube, testNamespace, waitFor } from './support/kube.js'

let ns: Awaited<ReturnType<typeof testNamespace>>
beforeAll(async () => {
  ns = await testNamespace('kit')
})
afterAll(async () => {
  await ns.delete()
})

const configMap = (name: string, value: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels: { 'kit-test': 'yes' } },
  data: { value },
})

/** A TCP proxy to the API server that can stop forwarding without closing anything. */
async function freezingProxy(
  target: URL,
): Promise<{ port: number; freeze(on: boolean): void; close(): Promise<void> }> {
  let frozen = false
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = new NetSocket()
    upstream.connect(Number(target.port), target.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => undefined)
    }
    client.on('data', (d) => (frozen ? undefined : upstream.write(d)))
    upstream.on('data', (d) => (frozen ? undefined : client.write(d)))
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    port,
    freeze: (on) => (frozen = on),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

describe('informer', () => {
  it('follows adds, updates and deletes, across a broken watch', async () => {
    const c = await kube()
    const events: string[] = []
    const informer = new Informer<KubeObject>(c, {
      resource: RESOURCES.configMaps,
      namespace: ns.name,
      labelSelector: 'kit-test=yes',
      onEvent: (type, o) => events.push(`${type}:${o.metadata.name}`),
    })
    await c.create(RESOURCES.configMaps, ns.name, configMap('a', '1'))
    informer.start()
    await informer.synced
    expect(informer.list().map((o) => o.metadata.name)).toEqual(['a'])
    await c.create(RESOURCES.configMaps, ns.name, configMap('b', '1'))
    await c.patch(RESOURCES.configMaps, ns.name, 'a', { data: { value: '2' } })
    await c.delete(RESOURCES.configMaps, ns.name, 'b')
    await waitFor('add, update and delete seen', () =>
      events.includes('deleted:b') ? true : undefined,
    )
    expect(events).toEqual(['added:a', 'added:b', 'updated:a', 'deleted:b'])
    expect((informer.get(ns.name, 'a')?.data as { value: string }).value).toBe('2')

    // A broken connection: the watch starts again from where it was, and misses nothing.
    informer.interruptWatch()
    await c.create(RESOURCES.configMaps, ns.name, configMap('c', '1'))
    await waitFor('the object created across the restart', () =>
      informer.get(ns.name, 'c') !== undefined ? true : undefined,
    )
    expect(events.at(-1)).toBe('added:c')
    await informer.stop()
  })

  it('restarts a watch that went silent', async () => {
    const cluster = (await kube()).server
    const proxy = await freezingProxy(new URL(cluster))
    const dir = mkdtempSync(join(tmpdir(), 'kanari-kit-'))
    const config = readFileSync(KUBECONFIG, 'utf8').replace(
      cluster,
      `https://127.0.0.1:${proxy.port}`,
    )
    writeFileSync(join(dir, 'kubeconfig'), config, { mode: 0o600 })
    const c = await KubeClient.connect({ kubeconfig: join(dir, 'kubeconfig') })
    const log: string[] = []
    const informer = new Informer<KubeObject>(c, {
      resource: RESOURCES.configMaps,
      namespace: ns.name,
      labelSelector: 'kit-test=yes',
      watchTimeoutSeconds: [2, 2],
      watchdogGraceSeconds: 1,
      onEvent: () => undefined,
      log: (l) => log.push(l),
    })
    informer.start()
    await informer.synced
    proxy.freeze(true)
    await waitFor('the watchdog to notice the silent watch', () =>
      log.some((l) => l.includes('silent')) ? true : undefined,
    )
    proxy.freeze(false)
    const direct = await kube()
    await direct.create(RESOURCES.configMaps, ns.name, configMap('after-freeze', '1'))
    await waitFor(
      'the restarted watch to bring the new object',
      () => (informer.get(ns.name, 'after-freeze') !== undefined ? true : undefined),
      60_000,
    )
    await informer.stop()
    await c.close()
    await proxy.close()
  })
})

describe('leader election', () => {
  it('elects one of two candidates and hands over when the leader steps down', async () => {
    const c = await kube()
    const leading: string[] = []
    const elector = (identity: string) =>
      new LeaderElector(c, {
        namespace: ns.name,
        name: 'kit-lease',
        identity,
        leaseDurationSeconds: 3,
        renewDeadlineSeconds: 2,
        retryPeriodSeconds: 0.5,
        onStartedLeading: () => leading.push(identity),
        onStoppedLeading: () => leading.push(`${identity} stopped`),
      })
    const a = elector('a')
    const b = elector('b')
    a.start()
    b.start()
    await waitFor('one leader', () => (leading.length > 0 ? true : undefined))
    await new Promise((r) => setTimeout(r, 2000))
    expect(leading).toHaveLength(1)
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1)
    const [leader, standby] = a.isLeader ? [a, b] : [b, a]
    await leader.stop()
    await waitFor('the standby to lead', () => (standby.isLeader ? true : undefined), 20_000)
    const lease = await c.get<
      KubeObject & { spec: { holderIdentity: string; leaseTransitions: number } }
    >(RESOURCES.leases, ns.name, 'kit-lease')
    expect(lease.spec.holderIdentity).toBe(standby === a ? 'a' : 'b')
    expect(lease.spec.leaseTransitions).toBe(1)
    await standby.stop()
  })
})
