/**
 * A load run as asked for — by `kanari loadtest`, a `loadtest` webhook, or the daemon's endpoint —
 * checked against the bounds every run keeps: a rate, a duration and a concurrency it cannot
 * exceed, and a target on this machine unless the caller says otherwise.
 */
import type { LoadtestPlan } from '../../engine/plan.js'
import { LOADTEST_DEFAULTS, LOADTEST_LIMITS, LOADTEST_METHODS } from '../../engine/vocabulary.js'
import { InputError } from '../../errors.js'
import { LOOPBACK_TEXT, isLoopbackHost } from '../../loopback.js'
import { parseDuration } from '../../spec/duration.js'

/** A load test's plan with its target resolved to a URL. */
export type LoadtestRequest = Omit<LoadtestPlan, 'url' | 'path'> & { url: string }

/** Why `url` cannot be a load test's target, or undefined when it can. */
export function urlProblem(url: string, allowRemote: boolean): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return `"${url}" is not a URL; give one like http://127.0.0.1:8080/`
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return `"${url}" is not an http:// or https:// URL`
  if (!allowRemote && !isLoopbackHost(parsed.hostname))
    return `${parsed.hostname} is not this machine: load tests send only to ${LOOPBACK_TEXT} unless allowed (kanari loadtest --allow-remote)`
  return undefined
}

/** The problems of a request, each naming its field and what it takes; empty when it can run. */
export function requestProblems(r: LoadtestRequest, allowRemote: boolean): string[] {
  const problems: string[] = []
  const url = urlProblem(r.url, allowRemote)
  if (url !== undefined) problems.push(`url: ${url}`)
  if (!(r.ratePerSecond > 0 && r.ratePerSecond <= LOADTEST_LIMITS.maxRatePerSecond))
    problems.push(
      `rate: must be above 0 and at most ${LOADTEST_LIMITS.maxRatePerSecond} requests per second (got ${r.ratePerSecond})`,
    )
  if (!(r.durationSeconds > 0 && r.durationSeconds <= LOADTEST_LIMITS.maxDurationSeconds))
    problems.push(
      `duration: must be above 0 and at most ${LOADTEST_LIMITS.maxDurationSeconds}s (got ${r.durationSeconds}s)`,
    )
  if (!(
    Number.isInteger(r.concurrency) &&
    r.concurrency >= 1 &&
    r.concurrency <= LOADTEST_LIMITS.maxConcurrency
  ))
    problems.push(
      `concurrency: must be a whole number from 1 to ${LOADTEST_LIMITS.maxConcurrency} (got ${r.concurrency})`,
    )
  if (!(LOADTEST_METHODS as readonly string[]).includes(r.method))
    problems.push(`method: must be one of ${LOADTEST_METHODS.join(', ')} (got ${r.method})`)
  return problems
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined
}

function number(v: unknown): number {
  const s = text(v)
  return s === undefined || s.trim() === '' ? Number.NaN : Number(s)
}

/**
 * The daemon endpoint's body: a request (`url`, `rate`, `duration`, `concurrency`, `method`,
 * `headers`, `body`), or a webhook payload — Flagger's or Kanari's — carrying the same fields as
 * strings in its `metadata` (so a webhook URL can point at the endpoint, as at Flagger's load
 * tester). Runs are told apart by `owner`: the rollout of a payload. Throws an InputError listing
 * every problem.
 */
export function parseLoadtestBody(body: unknown): { owner: string; request: LoadtestRequest } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new InputError('the body must be a JSON object', {
      hint: 'send { "url": "http://127.0.0.1:8080/", "rate": 10, "duration": "30s" }',
    })
  const b = body as Record<string, unknown>
  const fromPayload = b.metadata !== null && typeof b.metadata === 'object'
  const f = (fromPayload ? b.metadata : b) as Record<string, unknown>
  const owner = fromPayload
    ? `${text(b.name) ?? '?'}.${text(b.namespace) ?? 'default'}`
    : (text(b.owner) ?? 'api')
  const duration =
    f.duration === undefined
      ? LOADTEST_DEFAULTS.durationSeconds
      : parseDuration(text(f.duration) ?? '')
  const problems: string[] = []
  if (typeof duration !== 'number') problems.push(`duration: ${duration.error}`)
  let headers: Record<string, string> = {}
  if (f.headers !== undefined) {
    const h = typeof f.headers === 'string' ? safeJson(f.headers) : f.headers
    if (
      h !== null &&
      typeof h === 'object' &&
      !Array.isArray(h) &&
      Object.values(h).every((v) => typeof v === 'string')
    )
      headers = h as Record<string, string>
    else problems.push('headers: must be an object of strings (in metadata: that object as JSON)')
  }
  const url = text(f.url)
  if (url === undefined) problems.push('url: is required (the address to send requests to)')
  const request: LoadtestRequest = {
    url: url ?? '',
    method: (text(f.method) ?? LOADTEST_DEFAULTS.method).toUpperCase(),
    headers,
    ...(text(f.body) === undefined ? {} : { body: text(f.body) ?? '' }),
    ratePerSecond: f.rate === undefined ? LOADTEST_DEFAULTS.ratePerSecond : number(f.rate),
    durationSeconds: typeof duration === 'number' ? duration : LOADTEST_DEFAULTS.durationSeconds,
    concurrency:
      f.concurrency === undefined ? LOADTEST_DEFAULTS.concurrency : number(f.concurrency),
  }
  if (url !== undefined) problems.push(...requestProblems(request, false))
  else problems.push(...requestProblems({ ...request, url: 'http://127.0.0.1/' }, false))
  if (problems.length > 0)
    throw new InputError(`cannot start the load test: ${problems.join('; ')}`, {
      hint: `fields go ${fromPayload ? 'in the payload’s metadata, as strings' : 'in the JSON body'}: url, rate, duration, concurrency, method, headers, body`,
    })
  return { owner, request }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s)
  } catch {
    return undefined
  }
}
