/**
 * Asks the webhook caller for one call, so that a missing caller or one that throws becomes a failed
 * answer the engine counts — never a pass.
 */
import type { WebhookAnswer, WebhookCall } from '../engine/webhook-types.js'
import type { WebhookCaller } from './ports.js'

export async function callWith(
  caller: WebhookCaller | undefined,
  call: WebhookCall,
  driver: string,
): Promise<WebhookAnswer> {
  if (caller === undefined)
    return {
      ok: false,
      httpStatus: null,
      attempts: 0,
      explanation: `webhooks cannot be called in ${driver}`,
    }
  try {
    return await caller.call(call)
  } catch (err) {
    return {
      ok: false,
      httpStatus: null,
      attempts: 0,
      explanation: `the webhook caller failed: ${err instanceof Error ? err.message : String(err)}`,
    }
  }
}
