/**
 * Rollouts that cannot run: what is wrong (the SpecValid condition, saved only when the conditions
 * change) and one InvalidSpec Warning per generation. No work is done for them: no Deployments, no
 * Services, no traffic; fixing the spec lets the next reconcile take them up.
 */
import type { RolloutStatus } from '../../engine/status.js'
import type { Condition } from '../kit/conditions.js'
import type { EventRecorder } from '../kit/event-recorder.js'
import { RESOURCES } from '../kit/types.js'
import type { KubeRolloutStatusStore, RolloutObject } from '../store/rollout-status-store.js'
import type { ControllerBook, RolloutHandle } from './rollout-handle.js'

export interface InvalidRollout {
  object: RolloutObject
  book: ControllerBook
  problems: string[]
  warnedGeneration?: number | undefined
}

export interface InvalidSpecDeps {
  recorder: EventRecorder
  store: (namespace: string) => KubeRolloutStatusStore
  handle: (key: string) => RolloutHandle | undefined
  /** The conditions a save would write for this key now. */
  conditions: (key: string, status: RolloutStatus) => Condition[]
}

const withoutTimes = (conditions: Condition[]): string =>
  JSON.stringify(conditions.map(({ lastTransitionTime: _t, ...c }) => c))

export class InvalidSpecs {
  readonly #byKey = new Map<string, InvalidRollout>()

  constructor(private readonly deps: InvalidSpecDeps) {}

  get(key: string): InvalidRollout | undefined {
    return this.#byKey.get(key)
  }

  /** Forgets a Rollout (it became valid, or is gone); true when it was invalid. */
  forget(key: string): boolean {
    return this.#byKey.delete(key)
  }

  /** Records why a Rollout cannot run: the SpecValid condition, and one Warning per generation. */
  async report(
    object: RolloutObject,
    status: RolloutStatus,
    book: ControllerBook,
    problems: string[],
  ): Promise<void> {
    const ns = object.metadata.namespace ?? 'default'
    const key = `${ns}/${object.metadata.name}`
    const entry = this.#byKey.get(key) ?? { object, book, problems }
    Object.assign(entry, { object, book, problems })
    this.#byKey.set(key, entry)
    const store = this.deps.store(ns)
    const handle = this.deps.handle(key)
    const save = () => store.saveStatus(object.metadata.name, status, [])
    const before = withoutTimes((object.status?.conditions ?? []) as Condition[])
    if (before !== withoutTimes(this.deps.conditions(key, status))) {
      if (handle === undefined) {
        store.adopt(object.metadata.name, object.status)
        await save()
      } else await handle.runner.serial(save)
    }
    if (entry.warnedGeneration !== object.metadata.generation) {
      entry.warnedGeneration = object.metadata.generation
      this.deps.recorder.record(RESOURCES.rollouts, object, {
        type: 'Warning',
        reason: 'InvalidSpec',
        action: 'Validate',
        note: problems.join('; '),
      })
    }
  }
}
