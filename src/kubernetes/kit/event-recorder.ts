/**
 * Kubernetes Events (events.k8s.io/v1) about an object, as `kubectl describe` and `kubectl get
 * events` show them. Sending never holds up the caller: events go out in order, in the background,
 * and one that cannot be sent is logged and dropped (the durable record is the object's status).
 */
import { randomBytes } from 'node:crypto'
import type { KubeClient } from './client.js'
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

export class EventRecorder {
  #chain: Promise<void> = Promise.resolve()
  #seq = 0
  pending = 0

  constructor(
    private readonly client: KubeClient,
    private readonly controller: string,
    private readonly instance: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

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
    this.pending++
    this.#chain = this.#chain
      .then(() => this.client.create(RESOURCES.events, namespace, body))
      .then(
        () => undefined,
        (err: unknown) =>
          this.log(
            `event ${event.reason} about ${namespace}/${regarding.metadata.name} not recorded: ${err instanceof Error ? err.message : String(err)}`,
          ),
      )
      .finally(() => this.pending--)
  }

  /** Resolves once every event recorded so far was sent (or given up). */
  flush(): Promise<void> {
    return this.#chain
  }
}
