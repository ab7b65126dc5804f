/**
 * The daemon API's gates: every request must be addressed to a loopback host name (so a web
 * page cannot reach the API through DNS rebinding), and state-changing calls must carry the token.
 */
import { timingSafeEqual } from 'node:crypto'
import { ForbiddenHostError, InputError, UnauthorizedError } from '../../../errors.js'

export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'] as const

const LOOPBACK = new Set<string>(LOOPBACK_HOSTS)
/** `name` or `name:port`, where name may be a bracketed IPv6 literal. */
const HOST_HEADER = /^(\[[^\]]*\]|[^:[\]]*)(?::\d{1,5})?$/

/** The host name of a `Host` header without its port, lower-cased; undefined if it is malformed. */
export function hostName(header: string): string | undefined {
  return HOST_HEADER.exec(header.trim())?.[1]?.toLowerCase()
}

/** Refuses a request whose Host header is not 127.0.0.1, localhost or [::1] (any port). */
export function checkHost(
  header: string | undefined,
  apiInfoFile: string,
): ForbiddenHostError | undefined {
  const name = header === undefined ? undefined : hostName(header)
  if (name !== undefined && LOOPBACK.has(name)) return undefined
  const what = header === undefined ? 'a request without a Host header' : `host "${header}"`
  return new ForbiddenHostError(
    `the daemon API refuses ${what}: it only answers requests addressed to 127.0.0.1, localhost or [::1]`,
    {
      hint: `call it at the url in ${apiInfoFile} (http://127.0.0.1:<port>); a proxy in front of it must pass Host through unchanged`,
    },
  )
}

/** Refuses a state-changing call whose `Authorization: Bearer` token is missing or wrong. */
export function checkToken(
  authorization: string | undefined,
  token: string,
): UnauthorizedError | undefined {
  const given = Buffer.from((authorization ?? '').replace(/^Bearer\s+/i, ''))
  const want = Buffer.from(token)
  if (given.length === want.length && timingSafeEqual(given, want)) return undefined
  return new UnauthorizedError('missing or wrong bearer token', {
    hint: 'the token is in <state-dir>/api.json',
  })
}

/** Refuses a body that is not declared JSON (the routes webhooks call, which take no token). */
export function checkJsonBody(contentType: string | undefined): InputError | undefined {
  if (contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType.trim()))
    return undefined
  return new InputError(
    `this route takes a JSON body with content-type: application/json (got ${contentType === undefined ? 'none' : `"${contentType}"`})`,
    { hint: 'webhooks send JSON; from a shell: curl -H "content-type: application/json" -d {} …' },
  )
}
