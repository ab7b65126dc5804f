/** An event sink that keeps what it is given, in order: simulate's report and the tests read it. */
import type { EngineEvent } from '../engine/events.js'
import type { EventSink } from './ports.js'

export class MemoryEventSink implements EventSink {
  /** Every event published, whatever its rollout, in order. */
  readonly events: EngineEvent[] = []
  readonly #byRollout = new Map<string, EngineEvent[]>()

  publish(rollout: string, events: EngineEvent[]): void {
    this.events.push(...events)
    if (events.length === 0) return
    const kept = this.#byRollout.get(rollout) ?? []
    kept.push(...events)
    this.#byRollout.set(rollout, kept)
  }

  /** The events published for `rollout`, in order. */
  eventsOf(rollout: string): EngineEvent[] {
    return [...(this.#byRollout.get(rollout) ?? [])]
  }
}
