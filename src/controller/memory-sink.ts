/** An event sink that keeps what it is given, in order: simulate's report and the tests read it. */
import type { EngineEvent } from '../engine/events.js'
import type { EventSink } from './ports.js'

export class MemoryEventSink implements EventSink {
  readonly events: EngineEvent[] = []

  publish(_rollout: string, events: EngineEvent[]): void {
    this.events.push(...events)
  }
}
