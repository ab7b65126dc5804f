/** Which events a notification sends: the reasons it lists, at or above its severity. */
import type { EngineEvent } from '../engine/events.js'
import type { NotificationPlan, Severity } from '../engine/plan.js'
import { SEVERITIES } from '../engine/vocabulary.js'

const RANK: Record<Severity, number> = Object.fromEntries(
  SEVERITIES.map((s, i) => [s, i]),
) as Record<Severity, number>

/** Whether `plan` sends `event`: a reason it lists, at or above its severity. */
export function wants(plan: NotificationPlan, event: EngineEvent): boolean {
  return plan.events.includes(event.reason) && RANK[event.severity] >= RANK[plan.severity]
}
