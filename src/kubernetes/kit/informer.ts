/**
 * An informer: a cache of one kind of object kept current by list + watch. client-node's own stops
 * on the first error that is not a 410 and never relists; this one never gives up — it restarts
 * with jittered exponential backoff, relists on 410 and every `relistSeconds`, asks for bookmarks,
 * and a watchdog aborts a watch that has been silent longer than the server's own timeout allows
 * (a half-open connection would otherwise hang forever).
 */
import { isNotFound, KubeApiError } from './errors.js'
import { resourcePath, type KubeApi } from './api.js'
import type { KubeObject, ResourceRef } from './types.js'
import { jitteredBackoffMs } from './backoff.js'

export type InformerEventType = 'added' | 'updated' | 'deleted'

export interface InformerOptions<T extends KubeObject> {
  resource: ResourceRef
  /** Only this namespace (default: all). */
  namespace?: string
  labelSelector?: string
  /** Called for every change, after the cache holds it (`old` for updates and deletes). */
  onEvent: (type: InformerEventType, object: T, old: T | undefined) => void
  /** Full relist this often even when watches are healthy (default 600 s). */
  relistSeconds?: number
  /** The server ends each watch after a random time in this range (seconds). */
  watchTimeoutSeconds?: [number, number]
  /** A watch with no bytes for this long past its timeout is aborted (default 30 s). */
  watchdogGraceSeconds?: number
  log?: (line: string) => void
}

const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`

export class Informer<T extends KubeObject> {
  readonly #cache = new Map<string, T>()
  readonly #opts: InformerOptions<T>
  #resourceVersion: string | undefined
  #lastList = 0
  #stopped = false
  #abort: AbortController | undefined
  #synced!: () => void
  #loop: Promise<void> | undefined
  /** Resolves once the first list is in the cache. */
  readonly synced: Promise<void> = new Promise((resolve) => (this.#synced = resolve))
  /** Restarts after errors, and relists, since start: visible to tests and /metrics. */
  restarts = 0
  relists = 0

  constructor(
    private readonly client: KubeApi,
    options: InformerOptions<T>,
  ) {
    this.#opts = options
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(`${namespace ?? ''}/${name}`)
  }

  list(namespace?: string): T[] {
    const all = [...this.#cache.values()]
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace)
  }

  start(): void {
    this.#loop ??= this.#run()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#abort?.abort()
    await this.#loop
  }

  /** Aborts the current watch, as a broken connection would (the loop restarts it). */
  interruptWatch(): void {
    this.#abort?.abort()
  }

  /**
   * Watches again from `resourceVersion` (a position the server may no longer have: it answers
   * 410 Gone and the informer relists). For tests and debugging.
   */
  watchFrom(resourceVersion: string): void {
    this.#resourceVersion = resourceVersion
    this.#lastList = Date.now()
    this.#abort?.abort()
  }

  async #run(): Promise<void> {
    let failures = 0
    while (!this.#stopped) {
      try {
        const relistEvery = (this.#opts.relistSeconds ?? 600) * 1000
        if (this.#resourceVersion === undefined || Date.now() - this.#lastList > relistEvery)
          await this.#relist()
        await this.#watchOnce()
        failures = 0
      } catch (err) {
        // stop() may have ended the loop while this attempt was failing
        if (this.#stopped as boolean) break
        if (err instanceof KubeApiError && err.status === 410) {
          this.#resourceVersion = undefined
          continue
        }
        failures++
        this.restarts++
        const delay = jitteredBackoffMs(failures, 250, 30_000)
        this.#opts.log?.(
          `informer ${this.#opts.resource.plural}: ${isNotFound(err) ? 'resource not served (is its CRD installed?)' : err instanceof Error ? err.message : String(err)}; retrying in ${Math.round(delay)} ms`,
        )
        await sleep(delay, () => this.#stopped)
      }
    }
  }

  /** Lists everything and brings the cache in line, emitting what changed. */
  async #relist(): Promise<void> {
    const query: { labelSelector?: string } = {}
    if (this.#opts.labelSelector !== undefined) query.labelSelector = this.#opts.labelSelector
    const list = await this.client.list<T>(this.#opts.resource, this.#opts.namespace, query)
    this.relists++
    this.#lastList = Date.now()
    const seen = new Set<string>()
    for (const item of list.items) {
      const k = key(item)
      seen.add(k)
      const old = this.#cache.get(k)
      this.#cache.set(k, item)
      if (old === undefined) this.#opts.onEvent('added', item, undefined)
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion)
        this.#opts.onEvent('updated', item, old)
    }
    for (const [k, old] of [...this.#cache]) {
      if (seen.has(k)) continue
      this.#cache.delete(k)
      this.#opts.onEvent('deleted', old, old)
    }
    this.#resourceVersion = list.metadata.resourceVersion
    this.#synced()
  }

  async #watchOnce(): Promise<void> {
    const [lo, hi] = this.#opts.watchTimeoutSeconds ?? [240, 420]
    const timeoutSeconds = Math.round(lo + Math.random() * (hi - lo))
    const silentLimit = (timeoutSeconds + (this.#opts.watchdogGraceSeconds ?? 30)) * 1000
    const abort = new AbortController()
    this.#abort = abort
    let lastBytes = Date.now()
    const watchdog = setInterval(
      () => {
        if (Date.now() - lastBytes > silentLimit) {
          this.#opts.log?.(
            `informer ${this.#opts.resource.plural}: watch silent for ${Math.round((Date.now() - lastBytes) / 1000)} s; restarting it`,
          )
          abort.abort()
        }
      },
      Math.min(5000, silentLimit / 4),
    )
    try {
      await this.client.watch(
        resourcePath({ ...this.#opts.resource, namespace: this.#opts.namespace }),
        {
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
          labelSelector: this.#opts.labelSelector,
        },
        (event) => this.#handle(event),
        { signal: abort.signal, onBytes: () => (lastBytes = Date.now()) },
      )
    } catch (err) {
      // An abort (watchdog, stop, interruptWatch) ends this watch; the loop starts the next one.
      if (!abort.signal.aborted) throw err
    } finally {
      clearInterval(watchdog)
    }
  }

  #handle(event: { type: string; object: KubeObject }): void {
    const obj = event.object as T
    switch (event.type) {
      case 'BOOKMARK':
        this.#resourceVersion = obj.metadata.resourceVersion
        return
      case 'ERROR': {
        const status = event.object as unknown as { code?: number; message?: string }
        if (status.code === 410) {
          this.#resourceVersion = undefined
          this.#abort?.abort()
          return
        }
        throw new Error(`watch error ${status.code ?? ''}: ${status.message ?? ''}`)
      }
      case 'ADDED':
      case 'MODIFIED': {
        this.#resourceVersion = obj.metadata.resourceVersion
        const old = this.#cache.get(key(obj))
        this.#cache.set(key(obj), obj)
        this.#opts.onEvent(old === undefined ? 'added' : 'updated', obj, old)
        return
      }
      case 'DELETED': {
        this.#resourceVersion = obj.metadata.resourceVersion
        const old = this.#cache.get(key(obj))
        this.#cache.delete(key(obj))
        this.#opts.onEvent('deleted', obj, old)
        return
      }
    }
  }
}

/** Waits `ms`, checking `stop` every 100 ms so a stopping informer does not linger. */
async function sleep(ms: number, stop: () => boolean): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end && !stop())
    await new Promise((r) => setTimeout(r, Math.min(100, end - Date.now())))
}
