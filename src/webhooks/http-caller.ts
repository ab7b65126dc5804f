/**
 * Webhook calls over HTTP, as Flagger makes them: a POST of the JSON payload, a timeout per attempt,
 * and `retries` more attempts when no answer came, or a 429 or a 5xx (other than 501) did —
 * waiting 1 s, 2 s, 4 s … (at most 30 s, or what Retry-After asks, up to that) in between. Any
 * 2xx passes; anything else fails with what came back. Redirects are not followed.
 */
import { request } from 'undici'
import type { WebhookCaller } from '../controller/ports.js'
import type { WebhookAnswer, WebhookCall } from '../engine/webhook-types.js'
import { KANARI_VERSION } from '../version.js'

export interface HttpWebhookCallerOptions {
  /** Wait before the first retry; doubled for each next one. */
  backoffMs?: number
  maxBackoffMs?: number
}

/** Characters of a response body kept for the explanation. */
const BODY_SHOWN = 200
/** Bytes of a response body read at most; the rest is dropped. */
const BODY_READ = 64 * 1024

interface Attempt {
  status: number | null
  /** What came back (or why nothing did), for people. */
  text: string
  retryable: boolean
  retryAfterMs?: number
}

export class HttpWebhookCaller implements WebhookCaller {
  readonly #backoffMs: number
  readonly #maxBackoffMs: number

  constructor(options: HttpWebhookCallerOptions = {}) {
    this.#backoffMs = options.backoffMs ?? 1000
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000
  }

  async call(call: WebhookCall): Promise<WebhookAnswer> {
    const target = call.webhook.target
    if (target.kind !== 'url')
      return {
        ok: false,
        httpStatus: null,
        attempts: 0,
        explanation: `a ${target.kind} webhook needs the local daemon; here only url webhooks are called`,
      }
    const body = JSON.stringify(call.payload)
    const timeoutMs = Math.max(1, call.webhook.timeoutSeconds * 1000)
    const attemptsAllowed = call.webhook.retries + 1
    let last: Attempt = { status: null, text: 'not called', retryable: false }
    let attempts = 0
    while (attempts < attemptsAllowed) {
      if (attempts > 0) {
        const backoff = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (attempts - 1))
        await sleep(Math.min(this.#maxBackoffMs, last.retryAfterMs ?? backoff))
      }
      attempts++
      last = await attempt(target.url, body, timeoutMs)
      if (last.status !== null && last.status >= 200 && last.status <= 299) break
      if (!last.retryable) break
    }
    const ok = last.status !== null && last.status >= 200 && last.status <= 299
    return {
      ok,
      httpStatus: last.status,
      attempts,
      explanation: `${last.text}${attempts > 1 ? ` (${attempts} attempts)` : ''}`,
    }
  }
}

async function attempt(url: string, body: string, timeoutMs: number): Promise<Attempt> {
  try {
    const res = await request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': `kanari/${KANARI_VERSION}`,
      },
      body,
      // One connection per call: webhooks are few, and an idle socket must not outlive them.
      reset: true,
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await readSome(res.body)
    const status = res.statusCode
    const shown = oneLine(text)
    const location = res.headers.location
    const said =
      status >= 300 && status < 400 && location !== undefined
        ? `HTTP ${status} redirect to ${String(location)} (webhooks do not follow redirects)`
        : `HTTP ${status}${shown === '' ? '' : `: ${shown}`}`
    return {
      status,
      text: said,
      retryable: status === 429 || (status >= 500 && status !== 501),
      ...retryAfter(res.headers['retry-after']),
    }
  } catch (err) {
    return { status: null, text: failure(err, url, timeoutMs), retryable: true }
  }
}

async function readSome(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    chunks.push(chunk)
    size += chunk.length
    if (size >= BODY_READ) {
      body.destroy()
      break
    }
  }
  return Buffer.concat(chunks).toString('utf8')
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > BODY_SHOWN ? `${flat.slice(0, BODY_SHOWN)}…` : flat
}

function retryAfter(header: string | string[] | undefined): { retryAfterMs?: number } {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || !/^\d+$/.test(value.trim())) return {}
  return { retryAfterMs: Number(value.trim()) * 1000 }
}

/** Why no answer came, in words. */
function failure(err: unknown, url: string, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED')
    return `no answer within ${formatSeconds(timeoutMs)}`
  const code = e.code ?? e.cause?.code
  if (code === 'ECONNREFUSED') return `cannot connect to ${url}: connection refused`
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the host of ${url}`
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')
    return `the connection to ${url} was closed before an answer`
  return `cannot call ${url}: ${e.message ?? String(err)}${code === undefined ? '' : ` (${code})`}`
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
