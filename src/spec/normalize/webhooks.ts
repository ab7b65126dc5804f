/** Webhooks as the engine runs them: a target (URL, gate or load run), timeouts in seconds. */
import type { LoadtestPlan, WebhookPlan, WebhookTarget } from '../../engine/plan.js'
import { LOADTEST_DEFAULTS } from '../../engine/vocabulary.js'
import { seconds } from '../duration.js'
import type { RolloutSpec } from '../schema.js'
import { DEFAULTS } from './defaults.js'

type WebhookSpec = NonNullable<RolloutSpec['webhooks']>[number]

export function webhookPlans(webhooks: RolloutSpec['webhooks']): WebhookPlan[] {
  return (webhooks ?? []).map((w) => ({
    name: w.name,
    type: w.type,
    target: target(w),
    timeoutSeconds: seconds(w.timeout, DEFAULTS.webhookTimeoutSeconds),
    metadata: (w.metadata ?? {}) as Record<string, string>,
    retries: w.retries ?? 0,
  }))
}

/** Validation made sure exactly one of url, gate and loadtest is given. */
function target(w: WebhookSpec): WebhookTarget {
  if (w.gate !== undefined) return { kind: 'gate', gate: w.gate }
  if (w.loadtest !== undefined) return { kind: 'loadtest', loadtest: loadtestPlan(w.loadtest) }
  return { kind: 'url', url: w.url ?? '' }
}

function loadtestPlan(l: NonNullable<WebhookSpec['loadtest']>): LoadtestPlan {
  return {
    ...(l.url === undefined ? {} : { url: l.url }),
    path: l.path ?? LOADTEST_DEFAULTS.path,
    method: l.method ?? LOADTEST_DEFAULTS.method,
    headers: (l.headers ?? {}) as Record<string, string>,
    ...(l.body === undefined ? {} : { body: l.body }),
    ratePerSecond: l.rate ?? LOADTEST_DEFAULTS.ratePerSecond,
    durationSeconds: seconds(l.duration, LOADTEST_DEFAULTS.durationSeconds),
    concurrency: l.concurrency ?? LOADTEST_DEFAULTS.concurrency,
  }
}
