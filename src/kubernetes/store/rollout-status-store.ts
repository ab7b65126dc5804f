/**
 * The runner's `RolloutStore` on Kubernetes: a rollout's status lives in its Rollout object's
 * `/status` subresource — the engine's status flattened (so `kubectl get -o yaml` and the printer
 * columns read it), with conditions, and the latest typed events with growing ids. A save is one
 * JSON patch of `/status`, so status and events land together or not at all; it carries a `test` of
 * the write sequence number last seen, so a controller that lost its lease (or any second writer)
 * cannot overwrite a newer status: its save fails and it acts on nothing.
 */
import type { RolloutStore, StoredEvent } from '../../controller/ports.js'
import { ConflictError, NotFoundError } from '../../errors.js'
import type { EngineEvent } from '../../engine/events.js'
import { initialStatus, type RolloutStatus } from '../../engine/status.js'
import type { KubeApi } from '../kit/api.js'
import { isNotFound, KubeApiError } from '../kit/errors.js'
import { RESOURCES, type KubeObject } from '../kit/types.js'

/** The engine's status fields, as they appear under the Rollout's `status`. */
const ENGINE_KEYS = [...Object.keys(initialStatus()), 'reportedProblems'] as const

/** Events kept in the status (older ones remain as Kubernetes Events only). */
export const STATUS_EVENTS_KEPT = 200

export type StoredRolloutEvent = EngineEvent & { id: number }

/** The Rollout object's status as the controller writes it. */
export interface RolloutObjectStatus extends Partial<RolloutStatus> {
  observedGeneration?: number
  step?: string
  conditions?: unknown[]
  events?: StoredRolloutEvent[]
  nextEventId?: number
  /** The controller's own book: write sequence, revision history, commands handled. */
  kanari?: { seq?: number } & Record<string, unknown>
}

export type RolloutObject = KubeObject & {
  spec?: Record<string, unknown>
  status?: RolloutObjectStatus
}

/** Reads the engine's status back out of a Rollout's status (initial when none was written yet). */
export function engineStatusOf(status: RolloutObjectStatus | undefined): RolloutStatus {
  if (status?.phase === undefined) return initialStatus()
  const out: Record<string, unknown> = {}
  const s = status as Record<string, unknown>
  for (const key of ENGINE_KEYS) if (key in s) out[key] = s[key]
  return out as unknown as RolloutStatus
}

/** What else goes into a save: conditions, observed generation, the controller's book. */
export type StatusDecorator = (
  rollout: string,
  status: RolloutStatus,
  current: RolloutObjectStatus | undefined,
) => Omit<RolloutObjectStatus, keyof RolloutStatus | 'events' | 'nextEventId'>

export class KubeRolloutStatusStore implements RolloutStore {
  /** Write sequence last written or read, per rollout (the `test` of the next save). */
  readonly #seq = new Map<string, number | undefined>()
  readonly #last = new Map<string, RolloutObjectStatus>()

  constructor(
    private readonly client: KubeApi,
    private readonly namespace: string,
    private readonly decorate: StatusDecorator = () => ({}),
  ) {}

  async #read(rollout: string): Promise<RolloutObject | undefined> {
    const obj = await this.client.find<RolloutObject>(RESOURCES.rollouts, this.namespace, rollout)
    if (obj !== undefined) this.#remember(rollout, obj.status)
    return obj
  }

  #remember(rollout: string, status: RolloutObjectStatus | undefined): void {
    this.#seq.set(rollout, status?.kanari?.seq)
    if (status === undefined) this.#last.delete(rollout)
    else this.#last.set(rollout, status)
  }

  /** Takes the status of an object just read elsewhere (an informer), instead of reading it again. */
  adopt(rollout: string, status: RolloutObjectStatus | undefined): void {
    this.#remember(rollout, status)
  }

  async loadStatus(rollout: string): Promise<RolloutStatus | undefined> {
    const obj = await this.#read(rollout)
    return obj === undefined ? undefined : engineStatusOf(obj.status)
  }

  async saveStatus(rollout: string, status: RolloutStatus, events: EngineEvent[]): Promise<void> {
    if (!this.#seq.has(rollout) && (await this.#read(rollout)) === undefined)
      throw new NotFoundError(`rollout ${this.namespace}/${rollout} does not exist`)
    const current = this.#last.get(rollout)
    const seq = this.#seq.get(rollout)
    let nextEventId = current?.nextEventId ?? 1
    const stored = events.map((e) => ({ ...e, id: nextEventId++ }))
    const kept = [...(current?.events ?? []), ...stored].slice(-STATUS_EVENTS_KEPT)
    const extra = this.decorate(rollout, status, current)
    const next: RolloutObjectStatus = {
      ...status,
      ...extra,
      events: kept,
      nextEventId,
      kanari: { ...current?.kanari, ...extra.kanari, seq: (seq ?? 0) + 1 },
    }
    const patch =
      seq === undefined
        ? [{ op: 'add', path: '/status', value: next }]
        : [
            { op: 'test', path: '/status/kanari/seq', value: seq },
            { op: 'replace', path: '/status', value: next },
          ]
    try {
      await this.client.patch(RESOURCES.rollouts, this.namespace, rollout, patch, 'status')
    } catch (err) {
      // The next save reads afresh whatever the failure was.
      this.#seq.delete(rollout)
      this.#last.delete(rollout)
      if (isNotFound(err))
        throw new NotFoundError(`rollout ${this.namespace}/${rollout} does not exist`, {
          cause: err,
        })
      if (err instanceof KubeApiError && (err.status === 422 || err.status === 409))
        throw new ConflictError(
          `the status of rollout ${this.namespace}/${rollout} changed under this controller (another controller writing it?); nothing was acted on`,
          { cause: err },
        )
      throw err
    }
    this.#remember(rollout, next)
  }

  async events(
    rollout: string,
    options: { sinceId?: number; limit?: number } = {},
  ): Promise<StoredEvent[]> {
    const obj = await this.#read(rollout)
    const since = options.sinceId ?? 0
    const all = (obj?.status?.events ?? []).filter((e) => e.id > since)
    const limit = options.limit ?? STATUS_EVENTS_KEPT
    return all.slice(Math.max(0, all.length - limit)).map((e) => ({ ...e, rollout }))
  }
}
