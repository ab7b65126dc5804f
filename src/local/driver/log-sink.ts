/** An event sink that writes one line per event to the daemon's log. */
import type { EventSink } from '../../controller/ports.js'
import type { EngineEvent } from '../../engine/events.js'

export class LogSink implements EventSink {
  constructor(private readonly log: (line: string) => void) {}

  publish(rollout: string, events: EngineEvent[]): void {
    for (const e of events)
      this.log(`rollout ${rollout}: [${e.severity}] ${e.reason}: ${e.message}`)
  }
}
