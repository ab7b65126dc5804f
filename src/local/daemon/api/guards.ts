/** The daemon API's gate on state-changing calls: they must carry the daemon's bearer token. */
import { timingSafeEqual } from 'node:crypto'
import { UnauthorizedError } from '../../../errors.js'

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
