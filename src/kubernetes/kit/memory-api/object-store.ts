/**
 * The storage of the in-memory API: objects by resource, namespace and name, one resourceVersion
 * counter for all of them (as etcd's revision), a bounded history of changes, and the watches fed
 * from it — ADDED, MODIFIED and DELETED in commit order, from any resourceVersion still in the
 * history, else an ERROR event carrying 410 Expired as the real server sends.
 */
import type { WatchEvent, WatchQuery } from '../api.js'
import type { KubeObject } from '../types.js'
import { matchesFields, matchesLabels } from './label-selector.js'
import type { ManagedEntry } from './server-side-apply.js'
import { gone } from './status-errors.js'

export interface Stored {
  object: KubeObject
  managed: ManagedEntry[]
}

interface Change {
  resourceVersion: number
  collection: string
  type: 'ADDED' | 'MODIFIED' | 'DELETED'
  object: KubeObject
  previous: KubeObject | undefined
}

interface Watcher {
  collection: string
  namespace: string | undefined
  query: WatchQuery
  deliver(event: WatchEvent): void
  end(): void
}

const str = (v: string | number | boolean | undefined): string | undefined =>
  v === undefined || v === '' ? undefined : String(v)

/** The collection (`group/plural`) and namespace of a collection's API path. */
export function collectionAt(path: string): { collection: string; namespace?: string } {
  const parts = path.split('/').filter((p) => p !== '')
  const group = parts[0] === 'api' ? '' : (parts[1] ?? '')
  let i = parts[0] === 'api' ? 2 : 3
  let namespace: string | undefined
  if (parts[i] === 'namespaces' && parts.length > i + 2) {
    namespace = decodeURIComponent(parts[i + 1] ?? '')
    i += 2
  }
  return {
    collection: `${group}/${parts[i] ?? ''}`,
    ...(namespace === undefined ? {} : { namespace }),
  }
}

export class ObjectStore {
  readonly #objects = new Map<string, Map<string, Stored>>()
  readonly #history: Change[] = []
  readonly #watchers = new Set<Watcher>()
  #revision = 0

  constructor(private readonly historyLimit: number) {}

  get resourceVersion(): number {
    return this.#revision
  }

  /** The oldest resourceVersion a watch can start from. */
  get oldestWatchable(): number {
    return (this.#history[0]?.resourceVersion ?? this.#revision + 1) - 1
  }

  nextVersion(): number {
    return ++this.#revision
  }

  #collection(collection: string): Map<string, Stored> {
    let c = this.#objects.get(collection)
    if (c === undefined) this.#objects.set(collection, (c = new Map<string, Stored>()))
    return c
  }

  get(collection: string, namespace: string | undefined, name: string): Stored | undefined {
    return this.#objects.get(collection)?.get(`${namespace ?? ''}/${name}`)
  }

  list(collection: string, namespace: string | undefined): Stored[] {
    const all = [...(this.#objects.get(collection)?.values() ?? [])]
    return namespace === undefined
      ? all
      : all.filter((s) => s.object.metadata.namespace === namespace)
  }

  /** Stores (or removes, for DELETED) and tells the watches; `object` carries its new version. */
  commit(
    collection: string,
    type: Change['type'],
    stored: Stored,
    previous: KubeObject | undefined,
  ): void {
    const { object } = stored
    const key = `${object.metadata.namespace ?? ''}/${object.metadata.name}`
    if (type === 'DELETED') this.#collection(collection).delete(key)
    else this.#collection(collection).set(key, stored)
    const change: Change = {
      resourceVersion: Number(object.metadata.resourceVersion),
      collection,
      type,
      object: structuredClone(object),
      previous,
    }
    this.#history.push(change)
    if (this.#history.length > this.historyLimit) this.#history.shift()
    for (const w of this.#watchers) this.#send(w, change)
  }

  /** Drops the history of changes, as etcd's compaction does (older watches get 410). */
  compact(): void {
    this.#history.length = 0
  }

  /** Ends every open watch, as an API server restart or a load balancer would. */
  endWatches(): void {
    for (const w of [...this.#watchers]) w.end()
  }

  #send(w: Watcher, change: Change): void {
    if (w.collection !== change.collection) return
    const matches = (o: KubeObject | undefined): boolean =>
      o !== undefined &&
      (w.namespace === undefined || o.metadata.namespace === w.namespace) &&
      matchesLabels(o, str(w.query.labelSelector)) &&
      matchesFields(o, str(w.query.fieldSelector))
    const now = matches(change.object)
    const before = change.type === 'MODIFIED' && matches(change.previous)
    let type: string = change.type
    // A selector's view: an object that starts or stops matching is added or deleted for it.
    if (change.type === 'MODIFIED' && now && !before) type = 'ADDED'
    else if (change.type === 'MODIFIED' && !now && before) type = 'DELETED'
    else if (!now) return
    w.deliver({ type, object: structuredClone(change.object) })
  }

  /** Opens a watch; resolves when it ends (timeout, endWatches), rejects when aborted. */
  watch(
    collection: string,
    namespace: string | undefined,
    query: WatchQuery,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
    onBytes: (() => void) | undefined,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      let finished = false
      const done = (err?: unknown): void => {
        if (finished) return
        finished = true
        this.#watchers.delete(watcher)
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        if (err === undefined) resolve()
        else reject(err instanceof Error ? err : new Error('watch failed', { cause: err }))
      }
      const onAbort = (): void => done(signal.reason ?? new Error('aborted'))
      // Events go out after the write that made them has returned, as over a connection.
      const queue: WatchEvent[] = []
      let flushing = false
      const watcher: Watcher = {
        collection,
        namespace,
        query,
        deliver: (event) => {
          queue.push(event)
          if (flushing) return
          flushing = true
          queueMicrotask(() => {
            flushing = false
            for (const e of queue.splice(0)) {
              if (!this.#watchers.has(watcher)) return
              try {
                onBytes?.()
                onEvent(e)
              } catch (err) {
                done(err)
                return
              }
            }
          })
        },
        end: () => done(),
      }
      if (signal.aborted)
        return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
      signal.addEventListener('abort', onAbort)
      this.#watchers.add(watcher)
      const timeout = Number(query.timeoutSeconds ?? 0)
      if (timeout > 0) timer = setTimeout(() => done(), timeout * 1000)
      const from = str(query.resourceVersion)
      if (from === undefined || from === '0') {
        for (const s of this.list(collection, namespace))
          this.#send(watcher, {
            resourceVersion: Number(s.object.metadata.resourceVersion),
            collection,
            type: 'ADDED',
            object: s.object,
            previous: undefined,
          })
        return
      }
      if (Number(from) < this.oldestWatchable) {
        watcher.deliver({ type: 'ERROR', object: gone(from, this.oldestWatchable) as never })
        queueMicrotask(() => done())
        return
      }
      for (const change of this.#history)
        if (change.resourceVersion > Number(from)) this.#send(watcher, change)
    })
  }
}
