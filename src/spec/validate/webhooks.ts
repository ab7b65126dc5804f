/** Webhooks: timeouts that are durations and URLs that are http(s). */
import type { RolloutSpec } from '../schema.js'
import type { DocumentProblems } from './document-problems.js'
import { checkDuration } from './durations.js'

export function checkWebhooks(p: DocumentProblems, webhooks: RolloutSpec['webhooks']): void {
  // Every timeout before every URL: the order problems have always been reported in.
  webhooks?.forEach((w, i) => checkDuration(p, ['spec', 'webhooks', i, 'timeout'], w.timeout))
  webhooks?.forEach((w, i) => {
    if (!/^https?:\/\//.test(w.url))
      p.add(['spec', 'webhooks', i, 'url'], `must be an http:// or https:// URL (got "${w.url}")`)
  })
}
