/** Webhooks: timeouts that are durations and URLs that are http(s). */
import { WebhookSchema } from '../schema.js'
import { quote } from '../shown-value.js'
import type { DocumentProblems } from './document-problems.js'
import { checkDuration } from './durations.js'
import { soundItems } from './sound-parts.js'

/** `webhooks` as written; each one is read once it passes the schema. */
export function checkWebhooks(p: DocumentProblems, webhooks: unknown): void {
  const items = soundItems(WebhookSchema, webhooks) ?? []
  // Every timeout before every URL: the order problems have always been reported in.
  items.forEach((w, i) => checkDuration(p, ['spec', 'webhooks', i, 'timeout'], w?.timeout))
  items.forEach((w, i) => {
    if (w !== undefined && !/^https?:\/\//.test(w.url))
      p.add(
        ['spec', 'webhooks', i, 'url'],
        `must be an http:// or https:// URL (got ${quote(w.url)})`,
      )
  })
}
