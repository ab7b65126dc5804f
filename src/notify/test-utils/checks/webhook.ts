/** Kanari's generic JSON webhook payload (docs/notifications.md). */
import { EVENT_REASONS } from '../../../engine/events.js'
import { SEVERITIES } from '../../../engine/vocabulary.js'
import { isObject, onlyKeys, str, type Check } from './fields.js'

/** Kanari's generic JSON webhook payload (docs/notifications.md). */
export const checkWebhook: Check = (body) => {
  const p: string[] = []
  if (!isObject(body)) return ['the payload must be a JSON object']
  onlyKeys(p, 'payload', body, [
    'kind',
    'version',
    'rollout',
    'notification',
    'severity',
    'reason',
    'revision',
    'canaryWeight',
    'stepIndex',
    'at',
    'title',
    'text',
    'explanation',
    'next',
    'event',
  ])
  if (body.kind !== 'KanariNotification') p.push('kind must be "KanariNotification"')
  if (body.version !== 1) p.push('version must be 1')
  str(p, 'rollout', body.rollout, 1, 63)
  str(p, 'notification', body.notification, 1, 1000)
  if (!(SEVERITIES as readonly unknown[]).includes(body.severity))
    p.push('severity must be info, warn or error')
  if (!(EVENT_REASONS as readonly unknown[]).includes(body.reason))
    p.push('reason must be an event reason')
  if (!Number.isInteger(body.revision)) p.push('revision must be an integer')
  if (typeof body.canaryWeight !== 'number' || body.canaryWeight < 0 || body.canaryWeight > 100)
    p.push('canaryWeight must be a number 0..100')
  if (!Number.isInteger(body.stepIndex)) p.push('stepIndex must be an integer')
  if (typeof body.at !== 'string' || Number.isNaN(Date.parse(body.at)))
    p.push('at must be an ISO timestamp')
  str(p, 'title', body.title, 1, 10_000)
  str(p, 'text', body.text, 0, 100_000)
  for (const k of ['explanation', 'next'])
    if (body[k] !== null && typeof body[k] !== 'string') p.push(`${k} must be a string or null`)
  if (!isObject(body.event) || body.event.reason !== body.reason)
    p.push('event must be the engine event, with the same reason')
  return p
}
