/**
 * The generic JSON webhook: Kanari's own format for programs (a chat bridge, an incident tool). The
 * people's text and the event's data together; `version` changes if a field ever changes meaning.
 */
import type { Notice } from '../notice.js'

export const WEBHOOK_PAYLOAD_VERSION = 1

export function webhookPayload(n: Notice): unknown {
  return {
    kind: 'KanariNotification',
    version: WEBHOOK_PAYLOAD_VERSION,
    rollout: n.rollout,
    notification: n.notification,
    severity: n.severity,
    reason: n.reason,
    revision: n.event.revision,
    canaryWeight: n.event.canaryWeight,
    stepIndex: n.event.stepIndex,
    at: new Date(n.at).toISOString(),
    title: n.title,
    text: n.text,
    explanation: n.explanation,
    next: n.next,
    event: n.event,
  }
}
