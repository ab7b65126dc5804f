/**
 * The contract of `KubeApi`, one body for every implementation: the in-memory API runs it in the
 * unit suite and a real API server in the Kubernetes suite (test/k8s/kube-api-contract.test.ts), so
 * the fake cannot drift from what the server really answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resourcePath, type KubeApi, type WatchEvent } from '../api.js'
import { isAlreadyExists, isConflict, isNotFound, KubeApiError } from '../errors.js'
import { Informer } from '../informer.js'
import { RESOURCES, type KubeObject } from '../types.js'

export interface KubeApiFixture {
  api: KubeApi
  /** A namespace that exists, for the objects of the contract (names are unique per test). */
  namespace: string
  /**
   * Makes resourceVersion "1" too old to watch from, as compaction does (a long-running cluster
   * has compacted it long ago).
   */
  expireHistory?(): Promise<void> | void
  close?(): Promise<void>
}

const CM = RESOURCES.configMaps
const RUN = RESOURCES.analysisRuns

async function failure(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p
  } catch (err) {
    if (err instanceof KubeApiError) return err
    throw err
  }
  throw new Error('expected the API to refuse the request')
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = check()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

type Managed = { manager: string; operation: string; fieldsV1?: Record<string, unknown> }
const managersOf = (o: KubeObject, ...path: string[]): string[] =>
  ((o.metadata as { managedFields?: Managed[] }).managedFields ?? [])
    .filter((m) => {
      let node: unknown = m.fieldsV1
      for (const p of path) node = (node as Record<string, unknown> | undefined)?.[`f:${p}`]
      return node !== undefined
    })
    .map((m) => `${m.manager}/${m.operation}`)
    .sort()

export function runKubeApiContract(options: {
  newApi: () => Promise<KubeApiFixture> | KubeApiFixture
}): void {
  let f: KubeApiFixture
  let api: KubeApi
  let ns: string
  let n = 0
  const unique = (prefix: string): string =>
    `contract-${prefix}-${++n}-${Math.random().toString(36).slice(2, 6)}`
  const configMap = (
    name: string,
    data: Record<string, string>,
    labels: Record<string, string> = {},
  ): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    // no empty labels map: it would be a field of its own for server-side apply
    metadata: { name, namespace: ns, ...(Object.keys(labels).length === 0 ? {} : { labels }) },
    data,
  })
  const run = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
    apiVersion: 'kanari.dev/v1alpha1',
    kind: 'AnalysisRun',
    ...extra,
    metadata: { name, namespace: ns, ...extra.metadata },
    spec: { rollout: 'web', runId: 'r1', kind: 'background', metrics: ['errors'] },
  })

  beforeAll(async () => {
    f = await options.newApi()
    api = f.api
    ns = f.namespace
  })
  afterAll(async () => {
    await f.close?.()
  })

  describe('KubeApi contract', () => {
    it('creates with a uid, a resourceVersion and a creation time; a second create is AlreadyExists', async () => {
      const name = unique('create')
      const created = await api.create(CM, ns, configMap(name, { a: '1' }))
      expect(created.metadata.uid).toMatch(/\S/)
      expect(created.metadata.resourceVersion).toMatch(/^\d+$/)
      expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT/)
      const again = await failure(api.create(CM, ns, configMap(name, { a: '2' })))
      expect(again.status).toBe(409)
      expect(again.reason).toBe('AlreadyExists')
      expect(isAlreadyExists(again)).toBe(true)
      expect((await api.get<KubeObject>(CM, ns, name)).data).toEqual({ a: '1' })
    })

    it('answers 404 NotFound for what is not there, and find gives undefined', async () => {
      const name = unique('missing')
      const err = await failure(api.get(CM, ns, name))
      expect(err.status).toBe(404)
      expect(err.reason).toBe('NotFound')
      expect(err.kubeStatus?.message).toContain(`"${name}" not found`)
      expect(isNotFound(err)).toBe(true)
      expect(await api.find(CM, ns, name)).toBeUndefined()
      expect(await api.delete(CM, ns, name)).toBe(false)
      expect((await failure(api.patch(CM, ns, name, { data: { a: '1' } }))).status).toBe(404)
      expect((await failure(api.replace(CM, ns, configMap(name, {})))).status).toBe(404)
    })

    it('refuses a replace from a stale resourceVersion with 409 Conflict and keeps the object', async () => {
      const name = unique('stale')
      const first = await api.create(CM, ns, configMap(name, { v: '1' }))
      const second = await api.replace(CM, ns, { ...first, data: { v: '2' } })
      expect(Number(second.metadata.resourceVersion)).toBeGreaterThan(
        Number(first.metadata.resourceVersion),
      )
      const err = await failure(api.replace(CM, ns, { ...first, data: { v: '3' } }))
      expect(err.status).toBe(409)
      expect(err.reason).toBe('Conflict')
      expect(isConflict(err)).toBe(true)
      expect(isAlreadyExists(err)).toBe(false)
      expect((await api.get<KubeObject>(CM, ns, name)).data).toEqual({ v: '2' })
    })

    it('merges a JSON merge patch (null removes) and holds a patch to its resourceVersion', async () => {
      const name = unique('merge')
      const first = await api.create(CM, ns, configMap(name, { a: '1', b: '2' }, { x: 'y' }))
      const patched = await api.patch<KubeObject>(CM, ns, name, {
        metadata: { labels: { z: 'w' } },
        data: { a: null, c: '3' },
      })
      expect(patched.data).toEqual({ b: '2', c: '3' })
      expect(patched.metadata.labels).toEqual({ x: 'y', z: 'w' })
      const err = await failure(
        api.patch(CM, ns, name, {
          metadata: { resourceVersion: first.metadata.resourceVersion },
          data: { d: '4' },
        }),
      )
      expect(err.status).toBe(409)
      expect(err.reason).toBe('Conflict')
      expect((await api.get<KubeObject>(CM, ns, name)).data).toEqual({ b: '2', c: '3' })
    })

    it('applies a JSON patch, and a failed test operation is refused with 422 changing nothing', async () => {
      const name = unique('jsonpatch')
      await api.create(CM, ns, configMap(name, { a: '1' }))
      const patched = await api.patch<KubeObject>(CM, ns, name, [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'add', path: '/data/b', value: '2' },
        { op: 'replace', path: '/data/a', value: '10' },
      ])
      expect(patched.data).toEqual({ a: '10', b: '2' })
      const err = await failure(
        api.patch(CM, ns, name, [
          { op: 'remove', path: '/data/b' },
          { op: 'test', path: '/data/a', value: '1' },
        ]),
      )
      expect(err.status).toBe(422)
      expect((await api.get<KubeObject>(CM, ns, name)).data).toEqual({ a: '10', b: '2' })
    })

    it('lists by label selector', async () => {
      const tag = unique('sel')
      await api.create(CM, ns, configMap(`${tag}-a`, {}, { set: tag, tier: 'web' }))
      await api.create(CM, ns, configMap(`${tag}-b`, {}, { set: tag, tier: 'db' }))
      await api.create(CM, ns, configMap(`${tag}-c`, {}, { set: tag }))
      const names = async (selector: string) =>
        (await api.list(CM, ns, { labelSelector: `set=${tag},${selector}` })).items
          .map((o) => o.metadata.name.slice(tag.length + 1))
          .sort()
      expect(await names('tier=web')).toEqual(['a'])
      expect(await names('tier!=web')).toEqual(['b', 'c'])
      expect(await names('tier in (web,db)')).toEqual(['a', 'b'])
      expect(await names('tier')).toEqual(['a', 'b'])
      expect(await names('!tier')).toEqual(['c'])
      const list = await api.list(CM, ns, { labelSelector: `set=${tag}` })
      expect(list.metadata.resourceVersion).toMatch(/^\d+$/)
    })

    it('keeps the status apart: the main resource ignores it, the status subresource writes only it', async () => {
      const name = unique('status')
      const created = await api.create(RUN, ns, run(name, { status: { phase: 'Running' } }))
      expect(created.status).toBeUndefined()
      expect(created.metadata.generation).toBe(1)
      const main = await api.patch<KubeObject>(RUN, ns, name, { status: { phase: 'Failed' } })
      expect(main.status).toBeUndefined()
      const status = await api.patch<KubeObject>(
        RUN,
        ns,
        name,
        { status: { phase: 'Successful' }, spec: { runId: 'ignored' } },
        'status',
      )
      expect(status.status).toEqual({ phase: 'Successful' })
      expect((status.spec as { runId: string }).runId).toBe('r1')
      expect(status.metadata.generation).toBe(1)
      const labelled = await api.patch<KubeObject>(RUN, ns, name, {
        metadata: { labels: { a: 'b' } },
      })
      expect(labelled.metadata.generation).toBe(1)
      const spec = await api.patch<KubeObject>(RUN, ns, name, { spec: { runId: 'r2' } })
      expect(spec.metadata.generation).toBe(2)
      expect(spec.status).toEqual({ phase: 'Successful' })
    })

    it('holds a deleted object while it has finalizers, and lets it go with the last one', async () => {
      const name = unique('finalizer')
      await api.create(RUN, ns, run(name, { metadata: { name, finalizers: ['example.com/hold'] } }))
      expect(await api.delete(RUN, ns, name)).toBe(true)
      const held = await api.get<KubeObject>(RUN, ns, name)
      expect(held.metadata.deletionTimestamp).toMatch(/^\d{4}-/)
      expect(held.metadata.generation).toBe(2)
      const more = await failure(
        api.patch(RUN, ns, name, {
          metadata: { finalizers: ['example.com/hold', 'example.com/more'] },
        }),
      )
      expect(more.status).toBe(422)
      await api.patch(RUN, ns, name, { metadata: { finalizers: null } })
      expect(await api.find(RUN, ns, name)).toBeUndefined()
    })

    it('server-side apply: managers own what they apply, conflicts without force, force takes over, dropped fields go', async () => {
      const name = unique('ssa')
      const body = (data: Record<string, string>) => configMap(name, data)
      const a = await api.apply<KubeObject>(CM, ns, body({ x: '1', y: '1' }), {
        fieldManager: 'contract-a',
        force: false,
      })
      expect(managersOf(a, 'data', 'x')).toEqual(['contract-a/Apply'])
      const err = await failure(
        api.apply(CM, ns, body({ x: '2' }), { fieldManager: 'contract-b', force: false }),
      )
      expect(err.status).toBe(409)
      expect(err.reason).toBe('Conflict')
      expect(err.kubeStatus?.message).toContain('contract-a')
      expect(err.kubeStatus?.message).toContain('.data.x')
      expect((await api.get<KubeObject>(CM, ns, name)).data).toEqual({ x: '1', y: '1' })
      const same = await api.apply<KubeObject>(CM, ns, body({ y: '1' }), {
        fieldManager: 'contract-b',
        force: false,
      })
      expect(managersOf(same, 'data', 'y')).toEqual(['contract-a/Apply', 'contract-b/Apply'])
      const forced = await api.apply<KubeObject>(CM, ns, body({ x: '2', y: '1' }), {
        fieldManager: 'contract-b',
        force: true,
      })
      expect(forced.data).toEqual({ x: '2', y: '1' })
      expect(managersOf(forced, 'data', 'x')).toEqual(['contract-b/Apply'])
      // a leaves out y, which b still owns (it stays), and applies z
      const dropped = await api.apply<KubeObject>(CM, ns, body({ z: '1' }), {
        fieldManager: 'contract-a',
        force: false,
      })
      expect(dropped.data).toEqual({ x: '2', y: '1', z: '1' })
      // b leaves out y, owned by no one else now: it is removed
      const removed = await api.apply<KubeObject>(CM, ns, body({ x: '2' }), {
        fieldManager: 'contract-b',
        force: false,
      })
      expect(removed.data).toEqual({ x: '2', z: '1' })
    })

    it('applies the status subresource apart from the main object', async () => {
      const name = unique('ssa-status')
      await api.apply(RUN, ns, run(name))
      const withStatus = await api.apply<KubeObject>(
        RUN,
        ns,
        {
          apiVersion: 'kanari.dev/v1alpha1',
          kind: 'AnalysisRun',
          metadata: { name, namespace: ns },
          status: { phase: 'Running' },
        },
        { subresource: 'status' },
      )
      expect(withStatus.status).toEqual({ phase: 'Running' })
      expect(withStatus.metadata.generation).toBe(1)
      const again = await api.apply<KubeObject>(RUN, ns, {
        ...run(name),
        status: { phase: 'Failed' },
      })
      expect(again.status).toEqual({ phase: 'Running' })
    })

    it('watches: ADDED, MODIFIED, DELETED in order with growing resourceVersions, filtered by labels', async () => {
      const tag = unique('watch')
      const start = await api.list(CM, ns, { labelSelector: `set=${tag}` })
      const events: WatchEvent[] = []
      const abort = new AbortController()
      const watching = api
        .watch(
          resourcePath({ ...CM, namespace: ns }),
          {
            resourceVersion: start.metadata.resourceVersion,
            labelSelector: `set=${tag}`,
            timeoutSeconds: 60,
          },
          (e) => events.push(e),
          { signal: abort.signal },
        )
        .catch((err: unknown) => (abort.signal.aborted ? undefined : Promise.reject(err as Error)))
      await api.create(CM, ns, configMap(`${tag}-other`, {}, { set: 'other' }))
      await api.create(CM, ns, configMap(`${tag}-a`, { v: '1' }, { set: tag }))
      await api.patch(CM, ns, `${tag}-a`, { data: { v: '2' } })
      await api.delete(CM, ns, `${tag}-a`)
      await until('three watch events', () => (events.length >= 3 ? true : undefined))
      abort.abort()
      await watching
      expect(
        events.map((e) => `${e.type} ${e.object.metadata.name.slice(tag.length + 1)}`),
      ).toEqual(['ADDED a', 'MODIFIED a', 'DELETED a'])
      const versions = events.map((e) => Number(e.object.metadata.resourceVersion))
      expect(versions).toEqual([...versions].sort((x, y) => x - y))
      expect(new Set(versions).size).toBe(3)
    })

    it('a watch from a resourceVersion whose history is gone misses nothing: 410 Expired, or the current state', async () => {
      // The in-memory API answers 410 as a server reading etcd does; a v1.36 API server serving
      // from its watch cache was seen to start from the current state instead. Either way an
      // informer loses no object.
      const name = unique('expired')
      await api.create(CM, ns, configMap(name, { v: '1' }))
      await f.expireHistory?.()
      const present = (await api.list(CM, ns)).items.map((o) => o.metadata.name).sort()
      const events: WatchEvent[] = []
      let status: number | undefined
      try {
        await api.watch(
          resourcePath({ ...CM, namespace: ns }),
          { resourceVersion: '1', timeoutSeconds: 2 },
          (e) => {
            events.push(e)
          },
          { signal: AbortSignal.timeout(10_000) },
        )
      } catch (err) {
        if (err instanceof KubeApiError) status = err.status
        else throw err
      }
      const error = events.find((e) => e.type === 'ERROR')?.object as { code?: number } | undefined
      const expired = (status ?? error?.code) === 410
      const added = events
        .filter((e) => e.type === 'ADDED')
        .map((e) => e.object.metadata.name)
        .sort()
      expect(expired || present.every((n) => added.includes(n))).toBe(true)
      expect(present).toContain(name)
    })

    it('feeds an informer: its cache follows creates, updates and deletes', async () => {
      const tag = unique('informer')
      const seen: string[] = []
      const informer = new Informer<KubeObject>(api, {
        resource: CM,
        namespace: ns,
        labelSelector: `set=${tag}`,
        onEvent: (type, o) => seen.push(`${type} ${o.metadata.name.slice(tag.length + 1)}`),
      })
      await api.create(CM, ns, configMap(`${tag}-before`, {}, { set: tag }))
      informer.start()
      try {
        await informer.synced
        expect(informer.get(ns, `${tag}-before`)).toBeDefined()
        await api.create(CM, ns, configMap(`${tag}-a`, { v: '1' }, { set: tag }))
        await until('the informer to see a', () => informer.get(ns, `${tag}-a`))
        await api.patch(CM, ns, `${tag}-a`, { data: { v: '2' } })
        await until('the informer to see the update', () =>
          informer.get(ns, `${tag}-a`)?.data !== undefined &&
          (informer.get(ns, `${tag}-a`)?.data as { v: string }).v === '2'
            ? true
            : undefined,
        )
        await api.delete(CM, ns, `${tag}-before`)
        await until('the informer to drop before', () =>
          informer.get(ns, `${tag}-before`) === undefined ? true : undefined,
        )
        expect(seen).toEqual(['added before', 'added a', 'updated a', 'deleted before'])
      } finally {
        await informer.stop()
      }
    })
  })
}
