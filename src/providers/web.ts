/**
 * The `web` metric provider: GET or POST to a URL (headers, a body, auth from env or a file), then a
 * JSONPath (RFC 9535) picks the value out of the JSON answer. A number, a numeric string or a boolean
 * (1 or 0) is a value; a list of numbers is a list; null or nothing matched is no data; several
 * matches, an answer that is not JSON, an HTTP error or no answer in time are errors.
 */
import { query as jsonPathQuery, type JsonValue } from 'jsonpath-rfc9535'
import type { Measurement, MeasurementRequest } from '../analysis/types.js'
import type { MeasureContext, MetricProvider } from '../controller/ports.js'
import { excerpt, httpCall } from './http.js'
import { fillMeasured, measuredVersion } from './measured-version.js'
import { authorization, SecretError } from './secrets.js'

export const DEFAULT_TIMEOUT_SECONDS = 10

/** Argo Rollouts writes JSONPath in braces (`{$.data.ok}`); RFC 9535 does not. */
export function bareJsonPath(path: string): string {
  return /^\{(.*)\}$/s.exec(path.trim())?.[1]?.trim() ?? path.trim()
}

function shown(v: JsonValue): string {
  return excerpt(JSON.stringify(v), 80)
}

/** A matched JSON value as a measurement value, or why it is not one. */
export function webValue(
  matches: JsonValue[],
  path: string,
): { value: number | number[] | null } | { error: string } {
  if (matches.length === 0) return { value: null }
  if (matches.length > 1)
    return {
      error: `jsonPath ${path} matched ${matches.length} values (${matches.slice(0, 3).map(shown).join(', ')}${matches.length > 3 ? ', …' : ''}) where one is wanted: narrow it to one, e.g. with an index [0]`,
    }
  const v = matches[0] as JsonValue
  if (v === null) return { value: null }
  if (typeof v === 'number') return { value: v }
  if (typeof v === 'boolean') return { value: v ? 1 : 0 }
  if (typeof v === 'string') {
    const t = v.trim()
    if (t === 'NaN') return { value: Number.NaN }
    const n = Number(t)
    if (t !== '' && !Number.isNaN(n)) return { value: n }
    return { error: `jsonPath ${path} matched the string ${shown(v)}, which is not a number` }
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'number'))
    return { value: v.length === 0 ? null : v }
  return {
    error: `jsonPath ${path} matched ${Array.isArray(v) ? 'a list' : 'an object'} (${shown(v)}), not a number: point it at one number`,
  }
}

export class WebProvider implements MetricProvider {
  async measure(request: MeasurementRequest, context: MeasureContext): Promise<Measurement> {
    const plan = request.provider
    const metric = request.metric
    const at = Math.min(request.to, context.now)
    if (plan.kind !== 'web') return { metric, at, error: `not a web metric: ${plan.kind}` }
    const version = measuredVersion(context.traffic)
    const fill = (s: string): string => fillMeasured(s, version)
    const url = fill(plan.url)
    const what = `${plan.method} ${url.replace(/\?.*$/, '')}`
    let auth: Record<string, string>
    try {
      auth = await authorization(plan.auth)
    } catch (err) {
      if (err instanceof SecretError) return { metric, at, error: `${what}: ${err.message}` }
      throw err
    }
    const headers = Object.fromEntries(
      Object.entries(plan.headers).map(([k, v]) => [k.toLowerCase(), fill(v)]),
    )
    const outcome = await httpCall({
      url,
      method: plan.method,
      headers: { accept: 'application/json', ...headers, ...auth },
      ...(plan.body === undefined ? {} : { body: fill(plan.body) }),
      timeoutMs: (plan.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
      what,
    })
    if (!outcome.ok) return { metric, at, error: outcome.error }
    const { status, text } = outcome.answer
    if (status < 200 || status >= 300)
      return {
        metric,
        at,
        error: `${what} answered HTTP ${status}${text.trim() === '' ? '' : `: ${excerpt(text)}`}`,
      }
    let body: JsonValue
    try {
      body = JSON.parse(text) as JsonValue
    } catch {
      return {
        metric,
        at,
        error: `${what} answered something that is not JSON: "${excerpt(text, 120)}"`,
      }
    }
    const path = bareJsonPath(plan.jsonPath)
    let matches: JsonValue[]
    try {
      matches = jsonPathQuery(body, path)
    } catch (err) {
      return {
        metric,
        at,
        error: `jsonPath ${plan.jsonPath} is not valid: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      }
    }
    const v = webValue(matches, plan.jsonPath)
    return 'error' in v ? { metric, at, error: v.error } : { metric, at, value: v.value }
  }
}
