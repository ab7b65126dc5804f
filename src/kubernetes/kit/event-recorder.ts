/**
 * Kubernetes Events (events.k8s.io/v1) about an object, as `kubectl describe` and `kubectl get
 * events` show them. Sending never holds up the caller: each object's events go out in order, in
 * the background, a few objects' at once; one that cannot be sent is logged and dropped (the
 * durable record is the object's status).
 */
import { randomBytes } from 'node:crypto'
import type { KubeApi } from './api.js'
import { apiVersionOf, RESOURCES, type KubeObject, type ResourceRef } from './types.js'

export interface EventInput {
  type: 'Normal' | 'Warning'
  /** A CamelCase reason code: the engine's typed reason (`TrafficShifted`, `RolledBack`…). */
  reason: string
  /** What was done, CamelCase (`Reconcile`, `Command`…). */
  action: string
  note: string
  annotations?: Record<string, string>
}

/** MicroTime with the microseconds of `seq`, so events of the same millisecond keep their order. */
function microTime(ms: number, seq: number): string {
  return new Date(ms).toISOString().replace(/Z$/, `${String(seq % 1000).padStart(3, '0')}Z`)
}

/** Events sent at once at most (events of one object always go out in order). */
const CONCURRENCY = 8

export class EventRecorder {
  /** The tail of each object's queue of events, by uid. */
  readonly #chains = new Map<string, Promise<void>>()
  #seq = 0
  #active = 0
  readonly #waiting: (() => void)[] = []
  pending = 0

  constructor(
    private readonly client: KubeApi,
    private readonly controller: string,
    private readonly instance: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async #slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= CONCURRENCY) await new Promise<void>((r) => this.#waiting.push(r))
    this.#active++
    try {
      return await fn()
    } finally {
      this.#active--
      this.#waiting.shift()?.()
    }
  }

  record(resource: ResourceRef, regarding: KubeObject, event: EventInput, at = Date.now()): void {
    const namespace = regarding.metadata.namespace ?? 'default'
    const seq = this.#seq++
    const body: KubeObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: `${regarding.metadata.name}.${randomBytes(8).toString('hex')}`,
        namespace,
        ...(event.annotations === undefined ? {} : { annotations: event.annotations }),
      },
      eventTime: microTime(at, seq),
      reportingController: this.controller,
      reportingInstance: this.instance,
      action: event.action,
      reason: event.reason,
      note: event.note.slice(0, 1024),
      type: event.type,
      regarding: {
        apiVersion: apiVersionOf(resource),
        kind: resource.kind,
        name: regarding.metadata.name,
        namespace,
        uid: regarding.metadata.uid,
        resourceVersion: regarding.metadata.resourceVersion,
      },
    }
    const key = regarding.metadata.uid ?? `${namespace}/${regarding.metadata.name}`
    this.pending++
    const next = (this.#chains.get(key) ?? Promise.resolve())
      .then(() => this.#slot(() => this.client.create(RESOURCES.events, namespace, body)))
      .then(
        () => undefined,
        (err: unknown) =>
          this.log(
            `event ${event.reason} about ${namespace}/${regarding.metadata.name} not recorded: ${err instanceof Error ? err.message : String(err)}`,
          ),
      )
      .finally(() => {
        this.pending--
        if (this.#chains.get(key) === next) this.#chains.delete(key)
      })
    this.#chains.set(key, next)
  }

  /** Resolves once every event recorded so far was sent (or given up). */
  async flush(): Promise<void> {
    await Promise.all([...this.#chains.values()])
  }
}
