/**
 * Request bodies of the daemon API: JSON whatever the Content-Type says, at most 4 MiB, and an
 * empty body reads as `{}` (so `POST …/promote` with no body is a plain promote).
 */
import type { FastifyRequest } from 'fastify'
import { InputError } from '../../../errors.js'

export const MAX_BODY_BYTES = 4 * 1024 * 1024

/** Fastify content-type parser for every media type. */
export function parseJsonBody(
  _request: FastifyRequest,
  text: string,
  done: (err: Error | null, body?: unknown) => void,
): void {
  if (text.trim() === '') {
    done(null, {})
    return
  }
  try {
    done(null, JSON.parse(text))
  } catch (err) {
    done(new InputError('request body is not valid JSON', { cause: err }))
  }
}
