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

export function probeReadiness(
  host: string,
  port: number,
  probe: ReadinessProbe | undefined,
): Promise<boolean> {
  const timeout = (probe?.timeoutSeconds ?? 1) * 1000
  return new Promise((resolve) => {
    if (probe === undefined) {
      const sock = connect(port, host)
      sock.setTimeout(timeout, () => sock.destroy())
      sock.once('connect', () => {
        sock.destroy()
        resolve(true)
      })
      sock.once('error', () => resolve(false))
      sock.once('close', () => resolve(false))
      return
    }
    const req = request(
      { host, port, path: probe.httpGet, method: 'GET', timeout, agent: false },
      (res) => {
        res.resume()
        resolve((res.statusCode ?? 500) < 400)
      },
    )
    req.once('timeout', () => req.destroy())
    req.once('error', () => resolve(false))
    req.end()
  })
}

/**
 * Applies a probe result; returns whether the replica became ready or unready. A result that arrives
 * after the replica began stopping or exited is stale and ignored.
 */
export function applyProbeResult(r: Replica, ok: boolean): boolean {
  if (r.state === 'stopping' || r.state === 'backoff' || r.pid === null) return false
  if (ok) {
    r.probeFailures = 0
    if (r.state === 'ready') return false
    r.state = 'ready'
    return true
  }
  if (r.state === 'ready' && ++r.probeFailures >= UNREADY_AFTER_FAILURES) {
    r.state = 'unready'
    return true
  }
  return false
}
