/**
 * The Kubernetes API client of the controller kit: kubeconfig loading through
 * `@kubernetes/client-node` (files, contexts, in-cluster service accounts, exec and token auth),
 * then plain JSON over one keep-alive undici pool — get, list, create, replace, merge patch,
 * server-side apply with one field manager, delete, and watch streams. Every request is counted, so
 * the benchmark can report API requests per rollout step.
 */
import { KubeConfig } from '@kubernetes/client-node'
import { Agent, request as undiciRequest, type Dispatcher } from 'undici'
import { InputError } from '../../errors.js'
import { KubeApiError, type KubeStatus } from './errors.js'
import type { KubeObject, KubeList, ResourceRef } from './types.js'
import {
  FIELD_MANAGER,
  RequestCounter,
  resourcePath,
  type ApplyOptions,
  type KubeApi,
  type ListQuery,
  type PropagationPolicy,
  type WatchEvent,
  type WatchOptions,
  type WatchQuery,
} from './api.js'

export { KubeApiError, FIELD_MANAGER, RequestCounter, resourcePath }
export { resourceOf } from './api.js'

export interface KubeClientOptions {
  /** A kubeconfig file; default: $KUBECONFIG, then ~/.kube/config, then the in-cluster account. */
  kubeconfig?: string
  /** A context of the kubeconfig other than its current one. */
  context?: string
  /** Cap on concurrent connections to the API server (watches hold one each). */
  connections?: number
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  contentType?: string
  signal?: AbortSignal
  /** Seconds before the request is given up (default 30). */
  timeoutSeconds?: number
}

export class KubeClient implements KubeApi {
  readonly requests = new RequestCounter()
  readonly #kc: KubeConfig
  readonly #dispatcher: Dispatcher
  readonly #origin: string
  readonly #basePath: string
  #authHeaders: { value: Record<string, string>; until: number } | undefined

  private constructor(kc: KubeConfig, dispatcher: Dispatcher, server: URL) {
    this.#kc = kc
    this.#dispatcher = dispatcher
    this.#origin = server.origin
    this.#basePath = server.pathname.replace(/\/$/, '')
  }

  /** Loads the kubeconfig as kubectl would and opens the connection pool. */
  static async connect(options: KubeClientOptions = {}): Promise<KubeClient> {
    const kc = new KubeConfig()
    try {
      if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig)
      else kc.loadFromDefault()
    } catch (err) {
      throw new InputError(
        `cannot read the kubeconfig${options.kubeconfig === undefined ? '' : ` ${options.kubeconfig}`}: ${err instanceof Error ? err.message : String(err)}`,
        { hint: 'pass --kubeconfig <file>, or set KUBECONFIG' },
      )
    }
    if (options.context !== undefined) {
      if (kc.getContextObject(options.context) === null)
        throw new InputError(`the kubeconfig has no context "${options.context}"`, {
          hint: `contexts: ${kc
            .getContexts()
            .map((c) => c.name)
            .join(', ')}`,
        })
      kc.setCurrentContext(options.context)
    }
    const cluster = kc.getCurrentCluster()
    if (cluster === null)
      throw new InputError('the kubeconfig names no cluster for its current context', {
        hint: 'pass --context <name>, or check `kubectl config view`',
      })
    const server = new URL(cluster.server)
    const tls: Record<string, unknown> = {}
    await kc.applyToHTTPSOptions(tls)
    const connect: Record<string, unknown> = {}
    for (const k of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'servername'] as const)
      if (tls[k] !== undefined) connect[k] = tls[k]
    if (tls.rejectUnauthorized === false) connect.rejectUnauthorized = false
    const dispatcher = new Agent({
      connections: options.connections ?? 64,
      keepAliveTimeout: 30_000,
      connect,
    })
    return new KubeClient(kc, dispatcher, server)
  }

  /** The namespace of the kubeconfig's current context (`default` when it names none). */
  get defaultNamespace(): string {
    const ctx = this.#kc.getContextObject(this.#kc.getCurrentContext())
    return ctx?.namespace ?? inClusterNamespace() ?? 'default'
  }

  get server(): string {
    return `${this.#origin}${this.#basePath}`
  }

  async close(): Promise<void> {
    await this.#dispatcher.close()
  }

  /** Authorization headers (token, exec plugin…), refreshed every 10 s and after a 401. */
  async #headers(): Promise<Record<string, string>> {
    const now = Date.now()
    if (this.#authHeaders !== undefined && this.#authHeaders.until > now)
      return this.#authHeaders.value
    const opts: { headers?: Record<string, unknown> } = {}
    await this.#kc.applyToHTTPSOptions(opts)
    const value: Record<string, string> = {}
    for (const [k, v] of Object.entries(opts.headers ?? {}))
      if (typeof v === 'string' || typeof v === 'number') value[k] = String(v)
    const user = this.#kc.getCurrentUser()
    if (user?.username !== undefined && user.username !== '')
      value.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`
    this.#authHeaders = { value, until: now + 10_000 }
    return value
  }

  #url(path: string, query: RequestOptions['query']): string {
    const url = new URL(`${this.#origin}${this.#basePath}${path}`)
    for (const [k, v] of Object.entries(query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v))
    return url.toString()
  }

  /** Sends one request; a non-2xx answer throws a KubeApiError with the server's Status. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const kind = options.contentType?.split('/')[1]?.split('+')[0]
    this.requests.count(kind === undefined ? method : `${method}(${kind})`, path)
    const body = options.body === undefined ? undefined : JSON.stringify(options.body)
    const signals = [AbortSignal.timeout((options.timeoutSeconds ?? 30) * 1000)]
    if (options.signal !== undefined) signals.push(options.signal)
    const res = await undiciRequest(this.#url(path, options.query), {
      method,
      dispatcher: this.#dispatcher,
      headers: {
        ...(await this.#headers()),
        accept: 'application/json',
        ...(body === undefined
          ? {}
          : { 'content-type': options.contentType ?? 'application/json' }),
      },
      body: body ?? null,
      signal: AbortSignal.any(signals),
    })
    const text = await res.body.text()
    if (res.statusCode === 401) this.#authHeaders = undefined
    if (res.statusCode < 200 || res.statusCode >= 300) {
      let status: KubeStatus | undefined
      try {
        status = JSON.parse(text) as KubeStatus
      } catch {
        status = undefined
      }
      throw new KubeApiError(method, path, res.statusCode, status, text)
    }
    return (text === '' ? undefined : JSON.parse(text)) as T
  }

  get<T extends KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string) {
    return this.request<T>('GET', resourcePath({ ...ref, namespace, name }))
  }

  /** The object, or undefined when it does not exist. */
  async find<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, namespace, name)
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined
      throw err
    }
  }

  /** Every object of a collection (paged by 500). */
  async list<T extends KubeObject>(
    ref: ResourceRef,
    namespace?: string,
    query: ListQuery = {},
  ): Promise<KubeList<T>> {
    const items: T[] = []
    let cont: string | undefined
    let resourceVersion = ''
    do {
      const page = await this.request<KubeList<T>>('GET', resourcePath({ ...ref, namespace }), {
        query: { ...query, limit: 500, continue: cont },
      })
      items.push(...page.items)
      resourceVersion = page.metadata.resourceVersion ?? resourceVersion
      cont = page.metadata.continue === '' ? undefined : page.metadata.continue
    } while (cont !== undefined)
    return { items, metadata: { resourceVersion } }
  }

  create<T extends KubeObject>(ref: ResourceRef, namespace: string | undefined, body: T) {
    return this.request<T>('POST', resourcePath({ ...ref, namespace }), {
      body,
      query: { fieldManager: FIELD_MANAGER },
    })
  }

  /** PUT: fails with 409 when `body.metadata.resourceVersion` is stale. */
  replace<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    body: T,
    subresource?: string,
  ) {
    const path = resourcePath({ ...ref, namespace, name: body.metadata.name })
    return this.request<T>('PUT', subresource === undefined ? path : `${path}/${subresource}`, {
      body,
      query: { fieldManager: FIELD_MANAGER },
    })
  }

  /** Server-side apply with Kanari's field manager (force: Kanari owns what it applies). */
  apply<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    body: KubeObject,
    options: ApplyOptions = {},
  ) {
    const path = resourcePath({ ...ref, namespace, name: body.metadata.name })
    return this.request<T>(
      'PATCH',
      options.subresource === undefined ? path : `${path}/${options.subresource}`,
      {
        body,
        contentType: 'application/apply-patch+yaml',
        query: {
          fieldManager: options.fieldManager ?? FIELD_MANAGER,
          force: options.force ?? true,
          dryRun: options.dryRun === true ? 'All' : undefined,
        },
      },
    )
  }

  /** A JSON merge patch (RFC 7386) or a JSON patch (RFC 6902, when `patch` is an array). */
  patch<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    subresource?: string,
  ) {
    const path = resourcePath({ ...ref, namespace, name })
    return this.request<T>('PATCH', subresource === undefined ? path : `${path}/${subresource}`, {
      body: patch,
      contentType: Array.isArray(patch)
        ? 'application/json-patch+json'
        : 'application/merge-patch+json',
      query: { fieldManager: FIELD_MANAGER },
    })
  }

  /** Deletes; true when it was there. `propagationPolicy` Foreground/Background/Orphan. */
  async delete(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    propagationPolicy: PropagationPolicy = 'Background',
  ): Promise<boolean> {
    try {
      await this.request('DELETE', resourcePath({ ...ref, namespace, name }), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy },
      })
      return true
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return false
      throw err
    }
  }

  /**
   * Opens a watch and calls `onLine` with each parsed event until the server ends the stream, the
   * signal aborts or the connection fails. `onBytes` is called for every chunk (the watchdog).
   */
  async watch(
    path: string,
    query: WatchQuery,
    onEvent: (event: WatchEvent) => void,
    options: WatchOptions,
  ): Promise<void> {
    this.requests.count('WATCH', path)
    const res = await undiciRequest(this.#url(path, { ...query, watch: true }), {
      method: 'GET',
      dispatcher: this.#dispatcher,
      headers: { ...(await this.#headers()), accept: 'application/json' },
      signal: options.signal,
    })
    if (res.statusCode !== 200) {
      const text = await res.body.text()
      let status: KubeStatus | undefined
      try {
        status = JSON.parse(text) as KubeStatus
      } catch {
        status = undefined
      }
      throw new KubeApiError('WATCH', path, res.statusCode, status, text)
    }
    let buffered = ''
    for await (const chunk of res.body) {
      options.onBytes?.()
      buffered += (chunk as Buffer).toString('utf8')
      let newline = buffered.indexOf('\n')
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim()
        buffered = buffered.slice(newline + 1)
        if (line !== '') onEvent(JSON.parse(line) as WatchEvent)
        newline = buffered.indexOf('\n')
      }
    }
  }
}

/** The namespace of the service account when running in a pod. */
function inClusterNamespace(): string | undefined {
  const ns = process.env.POD_NAMESPACE
  return ns === undefined || ns === '' ? undefined : ns
}
