/**
 * An in-memory Kubernetes API for the controller's unit tests: the verbs of `KubeApi` with the real
 * server's semantics where the controller depends on them — resourceVersions and 409 on stale
 * writes, AlreadyExists, NotFound, JSON merge and JSON patches, server-side apply per field manager,
 * the status subresource apart from the main object, generation bumped by spec changes, finalizers
 * holding a deleted object with its deletionTimestamp, selectors, and watches. The contract suite
 * (kube-api-contract.ts) runs the same checks against it and against a real API server.
 * Not modelled: schemas and validation, defaulting, admission, RBAC, garbage collection of owned
 * objects, controllers (no pods, no Deployment status unless a test writes it), paging.
 */
import { randomUUID } from 'node:crypto'
import {
  FIELD_MANAGER,
  RequestCounter,
  resourcePath,
  type ApplyOptions,
  type KubeApi,
  type ListQuery,
  type WatchEvent,
  type WatchOptions,
  type WatchQuery,
} from '../api.js'
import { apiVersionOf, type KubeList, type KubeObject, type ResourceRef } from '../types.js'
import { matchesFields, matchesLabels } from './label-selector.js'
import { collectionAt, ObjectStore, type Stored } from './object-store.js'
import { jsonPatch, mergePatch, PatchError } from './patches.js'
import { managedFieldsOf, recordUpdate, serverSideApply } from './server-side-apply.js'
import * as fail from './status-errors.js'
import { nextObject } from './object-update.js'

export interface MemoryKubeApiOptions {
  /** The clock of timestamps (creation, deletion, managed fields); default Date.now. */
  now?: () => number
  /** Changes kept for watches to resume from (older resourceVersions get 410). */
  historyLimit?: number
}

/** Resources whose status is written only through the status subresource. */
const STATUS_SUBRESOURCE = new Set([
  'rollouts',
  'analysisruns',
  'deployments',
  'replicasets',
  'jobs',
  'pods',
  'services',
  'namespaces',
  'httproutes',
  'ingresses',
])

/** Resources without metadata.generation (the core group's and these). */
const NO_GENERATION = new Set(['leases', 'events', 'controllerrevisions', 'endpointslices'])
const tracksGeneration = (ref: ResourceRef): boolean =>
  ref.group !== '' && !NO_GENERATION.has(ref.plural)

const collectionOf = (ref: ResourceRef): string => `${ref.group}/${ref.plural}`

const rejected = (err: unknown): Promise<never> =>
  Promise.reject(err instanceof Error ? err : new Error('request failed', { cause: err }))

type Verb = 'GET' | 'LIST' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export class MemoryKubeApi implements KubeApi {
  readonly requests = new RequestCounter()
  readonly #store: ObjectStore
  readonly #now: () => number

  constructor(options: MemoryKubeApiOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#store = new ObjectStore(options.historyLimit ?? 10_000)
  }

  #time(): string {
    return new Date(this.#now()).toISOString().replace(/\.\d{3}Z$/, 'Z')
  }

  #at(method: Verb, ref: ResourceRef, namespace: string | undefined, name: string, sub?: string) {
    const path = resourcePath({ ...ref, namespace, name }) + (sub === undefined ? '' : `/${sub}`)
    this.requests.count(method === 'LIST' ? 'GET' : method, path)
    return { method: method === 'LIST' ? 'GET' : method, path, ref, name }
  }

  #out(ref: ResourceRef, stored: Stored): KubeObject {
    const object = structuredClone(stored.object)
    if (stored.managed.length > 0)
      Object.assign(object.metadata, {
        managedFields: managedFieldsOf(stored.managed, apiVersionOf(ref)),
      })
    return object
  }

  get<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
  ): Promise<T> {
    const at = this.#at('GET', ref, namespace, name)
    const stored = this.#store.get(collectionOf(ref), namespace, name)
    if (stored === undefined) return Promise.reject(fail.notFound(at))
    return Promise.resolve(this.#out(ref, stored) as T)
  }

  async find<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    this.#at('GET', ref, namespace, name)
    const stored = this.#store.get(collectionOf(ref), namespace, name)
    return Promise.resolve(stored === undefined ? undefined : (this.#out(ref, stored) as T))
  }

  list<T extends KubeObject>(
    ref: ResourceRef,
    namespace?: string,
    query: ListQuery = {},
  ): Promise<KubeList<T>> {
    this.requests.count('GET', resourcePath({ ...ref, namespace }))
    const items = this.#store
      .list(collectionOf(ref), namespace)
      .filter(
        (s) =>
          matchesLabels(s.object, query.labelSelector) &&
          matchesFields(s.object, query.fieldSelector),
      )
      .map((s) => this.#out(ref, s) as T)
    return Promise.resolve({
      items,
      metadata: { resourceVersion: String(this.#store.resourceVersion) },
    })
  }

  create<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    body: T,
  ): Promise<T> {
    const at = this.#at('POST', ref, namespace, body.metadata.name)
    try {
      return Promise.resolve(this.#create(at, ref, namespace, body, FIELD_MANAGER) as T)
    } catch (err) {
      return rejected(err)
    }
  }

  #create(
    at: fail.RequestAt,
    ref: ResourceRef,
    namespace: string | undefined,
    body: KubeObject,
    manager: string,
    apply?: (object: KubeObject) => Stored['managed'],
  ): KubeObject {
    if (this.#store.get(collectionOf(ref), namespace, body.metadata.name) !== undefined)
      throw fail.alreadyExists(at)
    const { managedFields: _mf, ...meta } = body.metadata as KubeObject['metadata'] & {
      managedFields?: unknown
    }
    const object: KubeObject = structuredClone({
      ...body,
      apiVersion: apiVersionOf(ref),
      kind: ref.kind,
      metadata: {
        ...meta,
        ...(namespace === undefined ? {} : { namespace }),
        uid: randomUUID(),
        creationTimestamp: this.#time(),
        resourceVersion: String(this.#store.nextVersion()),
        ...(tracksGeneration(ref) ? { generation: 1 } : {}),
      },
    })
    delete object.metadata.deletionTimestamp
    if (STATUS_SUBRESOURCE.has(ref.plural)) delete object.status
    const managed =
      apply?.(object) ?? recordUpdate(undefined, object, [], manager, undefined, this.#time())
    const stored = { object, managed }
    this.#store.commit(collectionOf(ref), 'ADDED', stored, undefined)
    return this.#out(ref, stored)
  }

  /**
   * Writes `next` over the stored object as one update: the endpoint's part only (status or the
   * rest), precondition on the resourceVersion, server fields kept, generation, finalizers.
   */
  #update(
    at: fail.RequestAt,
    ref: ResourceRef,
    current: Stored,
    candidate: KubeObject,
    subresource: string | undefined,
    managed: (before: KubeObject, after: KubeObject) => Stored['managed'],
    dryRun = false,
  ): KubeObject {
    const old = current.object
    const wanted = candidate.metadata.resourceVersion
    if (wanted !== undefined && wanted !== '' && wanted !== old.metadata.resourceVersion)
      throw fail.staleConflict(at)
    const next = nextObject(at, old, candidate, subresource, STATUS_SUBRESOURCE.has(ref.plural))
    if (JSON.stringify(next) === JSON.stringify(old) && !dryRun) {
      // A write that changes nothing is no change: same resourceVersion, no watch event.
      const entries = managed(old, next)
      current.managed = entries
      return this.#out(ref, current)
    }
    const entries = managed(old, next)
    if (dryRun) return this.#out(ref, { object: next, managed: entries })
    next.metadata.resourceVersion = String(this.#store.nextVersion())
    const stored: Stored = { object: next, managed: entries }
    const gone =
      next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0
    this.#store.commit(collectionOf(ref), gone ? 'DELETED' : 'MODIFIED', stored, old)
    return this.#out(ref, stored)
  }

  #existing(at: fail.RequestAt, ref: ResourceRef, namespace: string | undefined): Stored {
    const stored = this.#store.get(collectionOf(ref), namespace, at.name)
    if (stored === undefined) throw fail.notFound(at)
    return stored
  }

  replace<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    body: T,
    subresource?: string,
  ): Promise<T> {
    const at = this.#at('PUT', ref, namespace, body.metadata.name, subresource)
    try {
      const current = this.#existing(at, ref, namespace)
      return Promise.resolve(
        this.#update(at, ref, current, body, subresource, (before, after) =>
          recordUpdate(before, after, current.managed, FIELD_MANAGER, subresource, this.#time()),
        ) as T,
      )
    } catch (err) {
      return rejected(err)
    }
  }

  patch<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    subresource?: string,
  ): Promise<T> {
    const at = this.#at('PATCH', ref, namespace, name, subresource)
    try {
      const current = this.#existing(at, ref, namespace)
      let candidate: KubeObject
      try {
        candidate = (
          Array.isArray(patch)
            ? jsonPatch(current.object, patch)
            : mergePatch(current.object, patch)
        ) as KubeObject
      } catch (err) {
        if (!(err instanceof PatchError)) throw err
        throw fail.invalid(
          at,
          '',
          `the server rejected our request due to an error in our request: ${err.message}`,
        )
      }
      // A patch names a resourceVersion only to make it a precondition.
      const precondition = Array.isArray(patch)
        ? candidate.metadata.resourceVersion !== current.object.metadata.resourceVersion
        : (patch as { metadata?: { resourceVersion?: string } } | null)?.metadata
            ?.resourceVersion !== undefined
      if (!precondition) delete candidate.metadata.resourceVersion
      return Promise.resolve(
        this.#update(at, ref, current, candidate, subresource, (before, after) =>
          recordUpdate(before, after, current.managed, FIELD_MANAGER, subresource, this.#time()),
        ) as T,
      )
    } catch (err) {
      return rejected(err)
    }
  }

  apply<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    body: KubeObject,
    options: ApplyOptions = {},
  ): Promise<T> {
    const { subresource } = options
    const at = this.#at('PATCH', ref, namespace, body.metadata.name, subresource)
    const manager = options.fieldManager ?? FIELD_MANAGER
    const force = options.force ?? true
    try {
      if (body.apiVersion === undefined || body.kind === undefined)
        throw fail.badRequest(at, 'apiVersion and kind must be set in an apply patch')
      const { status, ...rest } = body
      const scoped: KubeObject =
        subresource === 'status'
          ? { metadata: { name: body.metadata.name }, ...(status === undefined ? {} : { status }) }
          : STATUS_SUBRESOURCE.has(ref.plural)
            ? rest
            : body
      const { apiVersion: _a, kind: _k, ...fields } = scoped
      const current = this.#store.get(collectionOf(ref), namespace, body.metadata.name)
      const run = (base: KubeObject | undefined, entries: Stored['managed']) => {
        const r = serverSideApply(base, entries, fields, manager, force, subresource, this.#time())
        if (r.conflicts.length > 0) throw fail.applyConflict(at, r.conflicts)
        return r
      }
      if (current === undefined) {
        if (subresource !== undefined) throw fail.notFound(at)
        const r = run(undefined, [])
        if (options.dryRun === true) return Promise.resolve(r.object as T)
        return Promise.resolve(
          this.#create(
            at,
            ref,
            namespace,
            { ...r.object, metadata: { ...r.object.metadata, name: body.metadata.name } },
            manager,
            () => r.entries,
          ) as T,
        )
      }
      const r = run(current.object, current.managed)
      const candidate = { ...r.object, metadata: { ...r.object.metadata } }
      delete candidate.metadata.resourceVersion
      return Promise.resolve(
        this.#update(
          at,
          ref,
          current,
          candidate,
          subresource,
          () => r.entries,
          options.dryRun,
        ) as T,
      )
    } catch (err) {
      return rejected(err)
    }
  }

  delete(ref: ResourceRef, namespace: string | undefined, name: string): Promise<boolean> {
    this.#at('DELETE', ref, namespace, name)
    const current = this.#store.get(collectionOf(ref), namespace, name)
    if (current === undefined) return Promise.resolve(false)
    const old = current.object
    if ((old.metadata.finalizers ?? []).length === 0) {
      const object = structuredClone(old)
      object.metadata.resourceVersion = String(this.#store.nextVersion())
      this.#store.commit(collectionOf(ref), 'DELETED', { ...current, object }, old)
      return Promise.resolve(true)
    }
    if (old.metadata.deletionTimestamp === undefined) {
      // Finalizers hold the object: it is marked, and goes when the last finalizer is removed.
      const next = structuredClone(old)
      next.metadata.deletionTimestamp = this.#time()
      next.metadata.deletionGracePeriodSeconds = 0
      if (next.metadata.generation !== undefined) next.metadata.generation++
      next.metadata.resourceVersion = String(this.#store.nextVersion())
      this.#store.commit(collectionOf(ref), 'MODIFIED', { ...current, object: next }, old)
    }
    return Promise.resolve(true)
  }

  watch(
    path: string,
    query: WatchQuery,
    onEvent: (event: WatchEvent) => void,
    options: WatchOptions,
  ): Promise<void> {
    this.requests.count('WATCH', path)
    const { collection, namespace } = collectionAt(path)
    return this.#store.watch(collection, namespace, query, onEvent, options.signal, options.onBytes)
  }

  close(): Promise<void> {
    this.#store.endWatches()
    return Promise.resolve()
  }

  // ── for tests: what a real server's environment does ───────────────────────────────────────

  /** Drops the change history, as etcd's compaction does: older watches get 410 Gone. */
  compact(): void {
    this.#store.compact()
  }

  /** Ends every open watch, as an API server restart does (informers watch again). */
  endWatches(): void {
    this.#store.endWatches()
  }
}
