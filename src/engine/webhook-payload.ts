/**
 * What a webhook receives: Flagger's payload (so receivers written for Flagger understand it) with
 * Kanari's fields beside it, and the phase named as Flagger would name it.
 */
import type { EngineEvent } from './events.js'
import type { RolloutPlan, WebhookPlan } from './plan.js'
import type { RolloutStatus } from './status.js'
import type { FlaggerPhase, WebhookPayload } from './webhook-types.js'

/** How Flagger would name the phase, for receivers written for it. */
export function flaggerPhase(s: RolloutStatus): FlaggerPhase {
  switch (s.phase) {
    case 'Initializing':
      return 'Initializing'
    case 'Progressing':
      return 'Progressing'
    case 'Promoting':
      return 'Promoting'
    case 'RolledBack':
      return 'Failed'
    case 'Healthy':
      return s.lastOutcome === null ? 'Initialized' : 'Succeeded'
    case 'Paused':
      if (s.pause?.reason === 'Gate' && s.pause.gate === 'confirm-rollout') return 'Waiting'
      if (s.pause?.reason === 'Gate' && s.pause.gate === 'confirm-promotion')
        return 'WaitingPromotion'
      return s.pause?.reason === 'WaitingPromotion' ? 'WaitingPromotion' : 'Progressing'
  }
}

export function payload(
  plan: RolloutPlan,
  s: RolloutStatus,
  hook: WebhookPlan,
  extra: { phase?: FlaggerPhase; revision?: number; event?: EngineEvent } = {},
): WebhookPayload {
  let metadata: Record<string, string> = { ...hook.metadata }
  if (extra.event !== undefined) {
    // Flagger's event fields win over the webhook's own metadata of the same name.
    metadata = {
      ...metadata,
      eventMessage: extra.event.message,
      eventType: extra.event.severity === 'info' ? 'Normal' : 'Warning',
      timestamp: String(extra.event.at),
    }
  }
  return {
    name: plan.name,
    namespace: plan.namespace,
    // Flagger reports Progressing to the hooks it calls during the analysis, whatever waits.
    phase:
      extra.phase ??
      (hook.type === 'confirm-rollout' || hook.type === 'rollback' || hook.type === 'event'
        ? flaggerPhase(s)
        : 'Progressing'),
    checksum: plan.checksum,
    ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
    webhook: { name: hook.name, type: hook.type },
    revision: extra.revision ?? s.canaryRevision ?? s.revision,
    stableRevision: s.stableRevision,
    canaryWeight: s.traffic.canaryWeight,
    ...(extra.event === undefined ? {} : { event: extra.event }),
  }
}
