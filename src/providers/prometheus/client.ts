/**
 * A small client of Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`) on undici: form
 * posts, a time limit on each call (sent to Prometheus too), auth from env or a file, and answers
 * checked against the API's documented JSON before anything reads them.
 */
import type { HttpAuth } from '../../analysis/types.js'
import { excerpt, httpCall } from '../http.js'
import { authorization, SecretError } from '../secrets.js'

export type Labels = Record<string, string>

export type QueryResult =
  | { resultType: 'scalar'; value: number }
  | { resultType: 'string'; value: string }
  | { resultType: 'vector'; series: { labels: Labels; value: number }[] }
  | { resultType: 'matrix'; series: { labels: Labels; values: [number, number][] }[] }

export type QueryOutcome = { ok: true; result: QueryResult } | { ok: false; error: string }

export interface PrometheusClientOptions {
  address: string
  headers?: Record<string, string>
  auth?: HttpAuth
  timeoutMs: number
}

/** A sample value as the API writes it: a string, with NaN and ±Inf spelled out. */
export function sampleValue(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined
  if (v === '+Inf' || v === 'Inf') return Number.POSITIVE_INFINITY
  if (v === '-Inf') return Number.NEGATIVE_INFINITY
  if (v === 'NaN') return Number.NaN
  const n = Number(v)
  return v.trim() === '' || Number.isNaN(n) ? undefined : n
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function labelsOf(v: unknown): Labels | undefined {
  if (!isObject(v)) return undefined
  const out: Labels = {}
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') return undefined
    out[k] = x
  }
  return out
}

function pair(v: unknown): [number, number] | undefined {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'number') return undefined
  const value = sampleValue(v[1])
  return value === undefined ? undefined : [v[0], value]
}

/** The `data` of a success answer as a typed result, or what is wrong with it. */
export function parseData(data: unknown): QueryResult | string {
  if (!isObject(data)) return 'no data object'
  const result = data.result
  switch (data.resultType) {
    case 'scalar': {
      const p = pair(result)
      return p === undefined
        ? 'a scalar that is not [time, "value"]'
        : { resultType: 'scalar', value: p[1] }
    }
    case 'string':
      return Array.isArray(result) && typeof result[1] === 'string'
        ? { resultType: 'string', value: result[1] }
        : 'a string result that is not [time, "text"]'
    case 'vector': {
      if (!Array.isArray(result)) return 'a vector whose result is not a list'
      const series = []
      for (const s of result) {
        const labels = isObject(s) ? labelsOf(s.metric ?? {}) : undefined
        const p = isObject(s) ? pair(s.value) : undefined
        if (labels === undefined || p === undefined)
          return isObject(s) && 'histogram' in s
            ? 'a native histogram sample (query its classic _bucket series, or use histogram_quantile)'
            : 'a vector sample that is not {metric, value: [time, "value"]}'
        series.push({ labels, value: p[1] })
      }
      return { resultType: 'vector', series }
    }
    case 'matrix': {
      if (!Array.isArray(result)) return 'a matrix whose result is not a list'
      const series = []
      for (const s of result) {
        const labels = isObject(s) ? labelsOf(s.metric ?? {}) : undefined
        const raw = isObject(s) ? s.values : undefined
        if (labels === undefined || !Array.isArray(raw))
          return 'a matrix series that is not {metric, values: [[time, "value"], …]}'
        const values: [number, number][] = []
        for (const v of raw) {
          const p = pair(v)
          if (p === undefined) return 'a matrix value that is not [time, "value"]'
          values.push(p)
        }
        series.push({ labels, values })
      }
      return { resultType: 'matrix', series }
    }
    default:
      return `an unknown resultType ${typeof data.resultType === 'string' ? `"${data.resultType}"` : 'missing'}`
  }
}

/** Seconds since the epoch with millisecond precision, as the API takes times. */
export function apiTime(ms: number): string {
  return (ms / 1000).toFixed(3)
}

export class PrometheusClient {
  readonly #base: string

  constructor(private readonly options: PrometheusClientOptions) {
    this.#base = options.address.replace(/\/+$/, '')
  }

  /** How this server is named in messages. */
  get what(): string {
    return `Prometheus at ${this.options.address}`
  }

  /** An instant query evaluated at `atMs`. */
  instant(query: string, atMs: number): Promise<QueryOutcome> {
    return this.#post('/api/v1/query', { query, time: apiTime(atMs) })
  }

  /** A range query from `startMs` to `endMs`, one point every `stepSeconds`. */
  range(query: string, startMs: number, endMs: number, stepSeconds: number): Promise<QueryOutcome> {
    return this.#post('/api/v1/query_range', {
      query,
      start: apiTime(startMs),
      end: apiTime(endMs),
      step: String(stepSeconds),
    })
  }

  async #post(path: string, params: Record<string, string>): Promise<QueryOutcome> {
    let auth: Record<string, string>
    try {
      auth = await authorization(this.options.auth)
    } catch (err) {
      if (err instanceof SecretError) return { ok: false, error: `${this.what}: ${err.message}` }
      throw err
    }
    const form = new URLSearchParams({
      ...params,
      timeout: `${Math.max(1, Math.floor(this.options.timeoutMs / 1000))}s`,
    })
    const outcome = await httpCall({
      url: `${this.#base}${path}`,
      method: 'POST',
      headers: {
        ...this.options.headers,
        ...auth,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
      timeoutMs: this.options.timeoutMs,
      what: this.what,
    })
    if (!outcome.ok) return outcome
    const { status, text } = outcome.answer
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      if (status === 401 || status === 403)
        return {
          ok: false,
          error: `${this.what} answered HTTP ${status}: check the provider's auth`,
        }
      return {
        ok: false,
        error: `${this.what} answered HTTP ${status} with something that is not its API's JSON: "${excerpt(text, 120)}" (is the address a Prometheus server?)`,
      }
    }
    if (!isObject(body) || (body.status !== 'success' && body.status !== 'error'))
      return {
        ok: false,
        error: `${this.what} answered HTTP ${status} with JSON that is not a Prometheus API answer (no status "success" or "error")`,
      }
    if (body.status === 'error') {
      const type = typeof body.errorType === 'string' ? body.errorType : 'error'
      const message = typeof body.error === 'string' ? body.error : 'no message'
      const hint =
        status === 401 || status === 403
          ? ' (check the provider auth)'
          : type === 'bad_data'
            ? ' (check the query)'
            : ''
      return {
        ok: false,
        error: `${this.what} refused the query (HTTP ${status}, ${type}): ${excerpt(message)}${hint}`,
      }
    }
    if (status < 200 || status >= 300)
      return { ok: false, error: `${this.what} answered HTTP ${status}` }
    const result = parseData(body.data)
    if (typeof result === 'string')
      return { ok: false, error: `${this.what} answered malformed data: ${result}` }
    return { ok: true, result }
  }
}
