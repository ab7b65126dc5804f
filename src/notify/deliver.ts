/**
 * One POST of a JSON payload to a webhook, bounded in time, and what came of it: delivered, or why
 * not and whether trying again may help (no answer, refused, 429 or 5xx: yes; another 4xx: no). The
 * webhook URL is a secret: no message returned here contains it.
 */
import { request } from 'undici'
import { redact } from './secret.js'

export type Delivery =
  | { ok: true; status: number }
  | {
      ok: false
      /** Trying again may help. */
      retryable: boolean
      /** What went wrong, without the URL. */
      error: string
      /** How long the service asked to wait before trying again (429 Retry-After), if it did. */
      retryAfterMs?: number
    }

/** The most of a refusal's body kept for the error message. */
const BODY_SHOWN = 200
/** The most of any answer read; the rest is discarded. */
const BODY_READ = 16 * 1024

export interface PostOptions {
  timeoutMs: number
  /** Aborts the request (the notifier is closing). */
  signal?: AbortSignal
}

export async function postJson(
  url: string,
  payload: unknown,
  options: PostOptions,
): Promise<Delivery> {
  const timeout = AbortSignal.timeout(options.timeoutMs)
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal])
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'kanari-notifier' },
      body: JSON.stringify(payload),
      signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    })
    const body = await readSome(res.body, BODY_READ)
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode }
    const shown = redact(body.replace(/\s+/g, ' ').trim().slice(0, BODY_SHOWN), url)
    const error = `HTTP ${res.statusCode}${shown === '' ? '' : `: ${shown}`}`
    const retryable = res.statusCode === 429 || res.statusCode === 408 || res.statusCode >= 500
    const retryAfterMs = res.statusCode === 429 ? retryAfter(res.headers, body) : undefined
    return retryAfterMs === undefined
      ? { ok: false, retryable, error }
      : { ok: false, retryable, error, retryAfterMs }
  } catch (err) {
    if (timeout.aborted)
      return { ok: false, retryable: true, error: `no answer within ${options.timeoutMs} ms` }
    if (options.signal?.aborted === true)
      return { ok: false, retryable: false, error: 'abandoned: the daemon is stopping' }
    return { ok: false, retryable: true, error: redact(networkError(err), url) }
  }
}

async function readSome(body: AsyncIterable<Buffer>, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    if (size < max) chunks.push(chunk)
    size += chunk.length
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, max)
}

/** A network failure in a few words, from the error's code when it has one. */
function networkError(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause
  const code =
    (err as NodeJS.ErrnoException).code ?? (cause as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection closed before an answer'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found'
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'no answer in time'
    default:
      return err instanceof Error ? err.message : String(err)
  }
}

/** A 429's wait: the Retry-After header (seconds), else Discord's `retry_after` (seconds) in the body. */
function retryAfter(
  headers: Record<string, string | string[] | undefined>,
  body: string,
): number | undefined {
  const header = headers['retry-after']
  const value = Array.isArray(header) ? header[0] : header
  if (value !== undefined && /^\d+(\.\d+)?$/.test(value.trim()))
    return Math.round(Number(value) * 1000)
  try {
    const parsed = JSON.parse(body) as { retry_after?: unknown }
    if (typeof parsed.retry_after === 'number' && parsed.retry_after >= 0)
      return Math.round(parsed.retry_after * 1000)
  } catch {
    // not JSON: no wait given
  }
  return undefined
}
