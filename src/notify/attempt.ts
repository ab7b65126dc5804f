/**
 * One attempt at sending a message, and the pause before the next. The secret URL is read at each
 * attempt, so a secret fixed meanwhile is used; no error returned here holds it.
 */
import type { NotificationPlan } from '../engine/plan.js'
import type { Delivery } from './deliver.js'
import { readWebhookUrl, redact, SecretError } from './secret.js'

/** How a message is sent: one request to the webhook URL. */
export type Post = (
  url: string,
  payload: unknown,
  options: { timeoutMs: number; signal: AbortSignal },
) => Promise<Delivery>

export interface AttemptOptions {
  post: Post
  /** Relative `urlFrom.file` paths start here. */
  baseDir: () => string
  env: NodeJS.ProcessEnv | undefined
  /** Aborts the request (the notifier is closing). */
  signal: AbortSignal
}

/** Sends `payload` once for `plan`; whatever goes wrong comes back as a failed Delivery. */
export async function attemptDelivery(
  plan: NotificationPlan,
  payload: unknown,
  options: AttemptOptions,
): Promise<Delivery> {
  let result: Delivery
  let secret: string | undefined
  try {
    secret = readWebhookUrl(plan.urlFrom, options.baseDir(), options.env)
    result = await options.post(secret, payload, {
      timeoutMs: plan.timeoutSeconds * 1000,
      signal: options.signal,
    })
  } catch (err) {
    // A missing secret is a setting to fix, not a moment to wait out.
    result =
      err instanceof SecretError
        ? { ok: false, retryable: false, error: `${err.message} (${err.hint})` }
        : {
            ok: false,
            retryable: true,
            error: err instanceof Error ? err.message : String(err),
          }
  }
  if (result.ok || secret === undefined) return result
  return { ...result, error: redact(result.error, secret) }
}

/**
 * The pause after failed attempt `attempt` (from 0): `retryDelayMs` doubled for each earlier retry,
 * or the service's Retry-After when longer, never above `maxRetryDelayMs`.
 */
export function retryPauseMs(
  attempt: number,
  retryAfterMs: number | undefined,
  delays: { retryDelayMs: number; maxRetryDelayMs: number },
): number {
  const backoff = Math.min(delays.retryDelayMs * 2 ** attempt, delays.maxRetryDelayMs)
  return Math.min(Math.max(backoff, retryAfterMs ?? 0), delays.maxRetryDelayMs)
}

/** Waits `ms`, or less when `signal` aborts meanwhile; never holds the process open. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    timer.unref()
    signal.addEventListener('abort', done, { once: true })
  })
}
