/**
 * Which headers cross the proxy: hop-by-hop ones (fixed, or named in `connection`) stop here;
 * `x-forwarded-*` are added on the way up and `x-kanari-backend` on the way back.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
])

/** Headers for the upstream request; `keepUpgrade` keeps `upgrade`/`connection` for a tunnel. */
export function forwardHeaders(
  req: IncomingMessage,
  keepUpgrade: boolean,
): Record<string, string | string[]> {
  const named = new Set<string>()
  for (const token of (req.headers.connection ?? '').split(','))
    if (token.trim() !== '') named.add(token.trim().toLowerCase())
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue
    if (
      (HOP_BY_HOP.has(k) || named.has(k)) &&
      !(keepUpgrade && (k === 'upgrade' || k === 'connection'))
    )
      continue
    out[k] = v
  }
  const client = req.socket.remoteAddress ?? ''
  const prior = req.headers['x-forwarded-for']
  out['x-forwarded-for'] =
    prior === undefined ? client : `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}`
  out['x-forwarded-proto'] = 'http'
  if (req.headers.host !== undefined) out['x-forwarded-host'] = req.headers.host
  return out
}

/** Headers for the client's response, tagged with the backend that answered. */
export function responseHeaders(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  backend: string,
): Record<string, string | string[]> {
  const named = new Set<string>()
  const conn = headers.connection
  for (const token of (Array.isArray(conn) ? conn.join(',') : (conn ?? '')).split(','))
    if (token.trim() !== '') named.add(token.trim().toLowerCase())
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named.has(k)) continue
    out[k] = v
  }
  out['x-kanari-backend'] = backend
  return out
}
