/**
 * Readiness: an HTTP GET that must answer below 400 or, without a probe, a TCP connect to the port;
 * how often to probe; and when results make a replica ready or unready.
 */
import { request } from 'node:http'
import { connect } from 'node:net'
import type { Replica } from './replica.js'
import type { ReadinessProbe } from './types.js'

/** One failed probe is noise; a ready replica leaves the endpoints only after this many in a row. */
const UNREADY_AFTER_FAILURES = 3
/** Until ready, probe fast so a new replica starts taking traffic as soon as it listens. */
const NOT_READY_PERIOD_MS = 250

export function firstProbeAt(probe: ReadinessProbe | undefined, now: number): number {
  return now + (probe?.initialDelaySeconds ?? 0) * 1000
}

export function probePeriodMs(r: Replica, probe: ReadinessProbe | undefined): number {
  return r.state === 'ready' ? (probe?.periodSeconds ?? 1) * 1000 : NOT_READY_PERIOD_MS
}

/** A probe's answer: passed, or why not ("connection refused", "HTTP 503", "no answer within 1s"). */
export type ProbeResult = { ok: true } | { ok: false; why: string }

export function probeReadiness(
  host: string,
  port: number,
  probe: ReadinessProbe | undefined,
): Promise<ProbeResult> {
  const timeout = (probe?.timeoutSeconds ?? 1) * 1000
  const failed = (err: Error): ProbeResult => ({ ok: false, why: describeFailure(err, timeout) })
  return new Promise((resolve) => {
    if (probe === undefined) {
      const sock = connect(port, host)
      sock.setTimeout(timeout, () => sock.destroy(timedOut()))
      sock.once('connect', () => {
        sock.destroy()
        resolve({ ok: true })
      })
      sock.once('error', (err) => resolve(failed(err)))
      sock.once('close', () => resolve({ ok: false, why: 'connection closed' }))
      return
    }
    const req = request(
      { host, port, path: probe.httpGet, method: 'GET', timeout, agent: false },
      (res) => {
        res.resume()
        const status = res.statusCode ?? 500
        resolve(status < 400 ? { ok: true } : { ok: false, why: `HTTP ${status}` })
      },
    )
    req.once('timeout', () => req.destroy(timedOut()))
    req.once('error', (err) => resolve(failed(err)))
    req.end()
  })
}

/** What the probe tried, for people: "GET /healthz on 127.0.0.1:4100" or "a TCP connect to …". */
export function describeProbe(
  host: string,
  port: number,
  probe: ReadinessProbe | undefined,
): string {
  return probe === undefined
    ? `a TCP connect to ${host}:${port} ($PORT)`
    : `GET ${probe.httpGet} on ${host}:${port} ($PORT)`
}

function timedOut(): Error {
  return Object.assign(new Error('timed out'), { code: 'KANARI_PROBE_TIMEOUT' })
}

function describeFailure(err: Error, timeoutMs: number): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'KANARI_PROBE_TIMEOUT') return `no answer within ${timeoutMs / 1000}s`
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listening)'
  if (code === 'ECONNRESET') return 'connection reset'
  return code === undefined ? err.message : `${err.message} (${code})`
}

/**
 * Applies a probe result; returns whether the replica became ready or unready. A result that arrives
 * after the replica began stopping or exited is stale and ignored.
 */
export function applyProbeResult(r: Replica, result: ProbeResult, now: number): boolean {
  if (r.state === 'stopping' || r.state === 'backoff' || r.pid === null) return false
  if (result.ok) {
    r.probeFailures = 0
    r.lastProbeFailure = undefined
    if (r.state === 'ready') return false
    r.state = 'ready'
    r.wasReady = true
    r.startFailure = undefined
    return true
  }
  r.lastProbeFailure = result.why
  if (r.state === 'ready' && ++r.probeFailures >= UNREADY_AFTER_FAILURES) {
    r.state = 'unready'
    r.notReadySince = now
    return true
  }
  return false
}
