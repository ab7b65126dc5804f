/**
 * One HTTP exchange for a metric provider, on undici: bounded in time (the whole exchange, not only
 * the connection) and in size, and every way it can fail turned into a sentence that says which
 * server, what happened and, where it helps, what to do. Never throws.
 */
import { request } from 'undici'

/** Answers larger than this are refused: a metric is one value, not a data dump. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024

export interface HttpAnswer {
  status: number
  contentType: string
  text: string
}

export type HttpOutcome = { ok: true; answer: HttpAnswer } | { ok: false; error: string }

export interface HttpCall {
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
  timeoutMs: number
  /** How the server is named in messages, e.g. "Prometheus at http://127.0.0.1:9090". */
  what: string
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms} ms`
}

function why(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } }
  const code = e.code ?? e.cause?.code
  if (code === 'ECONNREFUSED') return 'connection refused (is it running, on that port?)'
  if (code === 'ENOTFOUND') return 'the host name does not resolve'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')
    return 'the connection was closed before an answer'
  return code === undefined ? (e.message ?? String(err)) : `${code}: ${e.message ?? ''}`.trim()
}

export async function httpCall(call: HttpCall): Promise<HttpOutcome> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), call.timeoutMs)
  try {
    const res = await request(call.url, {
      method: call.method,
      headers: call.headers,
      ...(call.body === undefined ? {} : { body: call.body }),
      signal: controller.signal,
      // The whole exchange is bounded by the abort above; these only keep undici from giving up first.
      headersTimeout: call.timeoutMs + 1000,
      bodyTimeout: call.timeoutMs + 1000,
    })
    const declared = Number(res.headers['content-length'] ?? 0)
    if (declared > MAX_ANSWER_BYTES) {
      res.body.destroy()
      return {
        ok: false,
        error: `${call.what} answered ${declared} bytes, more than ${MAX_ANSWER_BYTES}`,
      }
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > MAX_ANSWER_BYTES) {
        res.body.destroy()
        return { ok: false, error: `${call.what} answered more than ${MAX_ANSWER_BYTES} bytes` }
      }
      chunks.push(chunk)
    }
    const type = res.headers['content-type']
    return {
      ok: true,
      answer: {
        status: res.statusCode,
        contentType: Array.isArray(type) ? (type[0] ?? '') : (type ?? ''),
        text: Buffer.concat(chunks).toString('utf8'),
      },
    }
  } catch (err) {
    if (controller.signal.aborted)
      return { ok: false, error: `${call.what} did not answer within ${seconds(call.timeoutMs)}` }
    return { ok: false, error: `cannot reach ${call.what}: ${why(err)}` }
  } finally {
    clearTimeout(timer)
  }
}

/** The start of a text for a message: one line, bounded. */
export function excerpt(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > max ? `${line.slice(0, max)}…` : line
}
