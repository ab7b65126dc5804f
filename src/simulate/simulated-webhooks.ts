/**
 * Webhooks in `kanari simulate`: none is called — virtual time runs far faster than any receiver —
 * and each is answered with the HTTP status the user gave (`--webhook NAME=STATUS`), or by default
 * as if everything said yes: 200, except rollback webhooks, which answer 403 (no rollback asked).
 * Every call is counted for the report.
 */
import type { WebhookCaller } from '../controller/ports.js'
import type { WebhookType } from '../engine/plan.js'
import type { WebhookAnswer, WebhookCall } from '../engine/webhook-types.js'

export interface SimulatedWebhook {
  name: string
  type: WebhookType
  /** The status every call was answered with. */
  status: number
  calls: number
}

export function defaultStatus(type: WebhookType): number {
  return type === 'rollback' ? 403 : 200
}

export class SimulatedWebhooks implements WebhookCaller {
  readonly #byName = new Map<string, SimulatedWebhook>()

  constructor(private readonly answers: Record<string, number>) {}

  call(call: WebhookCall): Promise<WebhookAnswer> {
    const { name, type } = call.webhook
    const status = this.answers[name] ?? defaultStatus(type)
    const seen = this.#byName.get(name) ?? { name, type, status, calls: 0 }
    seen.calls++
    this.#byName.set(name, seen)
    return Promise.resolve({
      ok: status >= 200 && status <= 299,
      httpStatus: status,
      attempts: 1,
      explanation: `HTTP ${status} (simulated; not called)`,
    })
  }

  /** Forgets the calls so far (those of the first deploy, before the release). */
  reset(): void {
    this.#byName.clear()
  }

  /** Every webhook called so far, in the order first called. */
  get report(): SimulatedWebhook[] {
    return [...this.#byName.values()].map((w) => ({ ...w }))
  }
}
