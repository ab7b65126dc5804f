/**
 * The Kubernetes API as the controller kit uses it: the verbs (get, find, list, create, replace,
 * apply, patch, delete, watch) and the request counts. `KubeClient` speaks it to a real API server;
 * `MemoryKubeApi` (memory-api/) keeps it in memory for the reconciler's unit tests.
 */
import type { KubeObject, KubeList, ResourceRef } from './types.js'

/** The one field manager Kanari applies with: `kubectl get -o yaml --show-managed-fields` shows it. */
export const FIELD_MANAGER = 'kanari'

export interface ApplyOptions {
  subresource?: string
  /** Take over fields another manager owns (default true: Kanari owns what it applies). */
  force?: boolean
  dryRun?: boolean
  /** Default FIELD_MANAGER. */
  fieldManager?: string
}

export interface ListQuery {
  labelSelector?: string
  fieldSelector?: string
}

export type WatchQuery = Record<string, string | number | boolean | undefined>

export interface WatchEvent {
  type: string
  object: KubeObject
}

export interface WatchOptions {
  signal: AbortSignal
  /** Called for every chunk received (the informer's watchdog). */
  onBytes?: () => void
}

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan'

export interface KubeApi {
  readonly requests: RequestCounter
  get<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
  ): Promise<T>
  /** The object, or undefined when it does not exist. */
  find<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined>
  /** Every object of a collection; all namespaces when `namespace` is undefined. */
  list<T extends KubeObject>(
    ref: ResourceRef,
    namespace?: string,
    query?: ListQuery,
  ): Promise<KubeList<T>>
  create<T extends KubeObject>(ref: ResourceRef, namespace: string | undefined, body: T): Promise<T>
  /** PUT: fails with 409 when `body.metadata.resourceVersion` is stale. */
  replace<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    body: T,
    subresource?: string,
  ): Promise<T>
  /** Server-side apply. */
  apply<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    body: KubeObject,
    options?: ApplyOptions,
  ): Promise<T>
  /** A JSON merge patch (RFC 7386) or a JSON patch (RFC 6902, when `patch` is an array). */
  patch<T extends KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    subresource?: string,
  ): Promise<T>
  /** Deletes; true when it was there. */
  delete(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    propagationPolicy?: PropagationPolicy,
  ): Promise<boolean>
  /**
   * Watches the collection at `path` (see `resourcePath`) and calls `onEvent` with each event until
   * the server ends the stream or the signal aborts (then it rejects, as a cut connection does).
   */
  watch(
    path: string,
    query: WatchQuery,
    onEvent: (event: WatchEvent) => void,
    options: WatchOptions,
  ): Promise<void>
  close(): Promise<void>
}

/** Counts of API requests by verb and resource, for the benchmark and the controller's /metrics. */
export class RequestCounter {
  total = 0
  /** Keyed "VERB resource", e.g. "PATCH rollouts", "GET httproutes". */
  readonly byVerb = new Map<string, number>()
  count(verb: string, path: string): void {
    this.total++
    const key = `${verb} ${resourceOf(path)}`
    this.byVerb.set(key, (this.byVerb.get(key) ?? 0) + 1)
  }
}

/** The resource (plural, with a subresource) a request path is about. */
export function resourceOf(path: string): string {
  const parts =
    path
      .split('?')[0]
      ?.split('/')
      .filter((p) => p !== '') ?? []
  // /api/v1/... or /apis/group/version/...
  let i = parts[0] === 'api' ? 2 : 3
  if (parts[i] === 'namespaces' && parts.length > i + 2) i += 2
  const plural = parts[i] ?? 'unknown'
  const sub = parts[i + 2]
  return sub === undefined ? plural : `${plural}/${sub}`
}

/** The API path of a resource: a collection when `name` is absent, all namespaces when `namespace` is. */
export function resourcePath(
  ref: Pick<ResourceRef, 'group' | 'version' | 'plural'> & {
    namespace?: string | undefined
    name?: string | undefined
  },
): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`
  const ns = ref.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(ref.namespace)}`
  const name = ref.name === undefined ? '' : `/${encodeURIComponent(ref.name)}`
  return `${base}${ns}/${ref.plural}${name}`
}
