/**
 * The runner's events published as Kubernetes Events about the Rollout (after they were saved in
 * its status): the engine's typed reason is the Event's reason, so `kubectl get events
 * --field-selector reason=RolledBack` finds rollbacks; errors and warnings are Warning events.
 */
import type { EventSink } from '../../controller/ports.js'
import type { EngineEvent } from '../../engine/events.js'
import type { EventRecorder } from '../kit/event-recorder.js'
import { RESOURCES, type KubeObject } from '../kit/types.js'

export class KubeEventSink implements EventSink {
  constructor(
    private readonly recorder: EventRecorder,
    private readonly rollout: () => KubeObject,
  ) {}

  publish(_rollout: string, events: EngineEvent[]): void {
    for (const e of events)
      this.recorder.record(
        RESOURCES.rollouts,
        this.rollout(),
        {
          type: e.severity === 'info' ? 'Normal' : 'Warning',
          reason: e.reason,
          action: e.reason === 'Command' ? 'Command' : 'Reconcile',
          note: e.message,
          annotations: {
            'kanari.dev/revision': String(e.revision),
            'kanari.dev/canary-weight': String(e.canaryWeight),
            'kanari.dev/step': String(e.stepIndex),
          },
        },
        e.at,
      )
  }
}
