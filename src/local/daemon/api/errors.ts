/**
 * How any failure of an API request becomes a Kanari error (whose class decides the HTTP status):
 * schema violations name the field, Fastify's own request errors are bad input, the rest is internal.
 */
import type { FastifySchemaValidationError } from 'fastify'
import { InputError, InternalError, KanariError } from '../../../errors.js'
import { MAX_BODY_BYTES } from './body.js'

export interface SchemaProblem {
  /** The field, like `files[0].name`; empty for the whole body, query or path. */
  path: string
  message: string
}

/** The parts of a request Fastify checks against a schema. */
type RequestPart = 'body' | 'querystring' | 'params' | 'headers'

const PART_NAMES: Record<RequestPart, string> = {
  body: 'request body',
  querystring: 'query string',
  params: 'path',
  headers: 'request headers',
}

/** `/files/0/name` → `files[0].name`. */
function fieldPath(instancePath: string, child?: string): string {
  const segments = instancePath.split('/').slice(1)
  if (child !== undefined) segments.push(child)
  return segments
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : path === '' ? s : `${path}.${s}`), '')
}

/** `files[0].name` is inside `files` and `files[0]`; everything is inside the whole body (''). */
function isInside(path: string, container: string): boolean {
  return container === '' || path.startsWith(`${container}.`) || path.startsWith(`${container}[`)
}

function problems(issue: FastifySchemaValidationError): SchemaProblem[] {
  if (issue.keyword === 'required') {
    const { requiredProperties, missingProperty } = issue.params
    const missing = Array.isArray(requiredProperties)
      ? requiredProperties.map(String)
      : [String(missingProperty)]
    return missing.map((name) => ({
      path: fieldPath(issue.instancePath, name),
      message: 'is required',
    }))
  }
  return [{ path: fieldPath(issue.instancePath), message: issue.message ?? 'is not valid' }]
}

/** Fastify's `schemaErrorFormatter`: one input error that names every wrong field. */
export function schemaError(issues: FastifySchemaValidationError[], part: RequestPart): InputError {
  const all = issues.flatMap(problems)
  // A field's own problem says more than its container's summary ("set must not have…").
  const found = all.filter((p) => !all.some((q) => q.path !== p.path && isInside(q.path, p.path)))
  const where = PART_NAMES[part]
  const text = found
    .map((p) => `${p.path === '' ? `the ${where}` : p.path} ${p.message}`)
    .join('; ')
  return new InputError(`invalid ${where}: ${text}`, {
    hint: 'the request schemas are in GET /api/v1/openapi.json',
    details: found,
  })
}

/** Errors Fastify raises itself before a handler runs, by their code. */
const FASTIFY_INPUT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: `request body over ${MAX_BODY_BYTES} bytes`,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'request body length does not match its Content-Length',
}

/** Any thrown value as a Kanari error: the error handler sends `{ error }` with its `httpStatus`. */
export function toKanariError(err: unknown): KanariError {
  if (err instanceof KanariError) return err
  const { code, statusCode, message } = (err ?? {}) as {
    code?: unknown
    statusCode?: unknown
    message?: unknown
  }
  const text = typeof message === 'string' ? message : String(err)
  if (typeof code === 'string' && code in FASTIFY_INPUT_ERRORS)
    return new InputError(FASTIFY_INPUT_ERRORS[code] ?? text, { cause: err })
  // Other client errors Fastify detects (bad headers, unsupported encodings): the input is wrong.
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500)
    return new InputError(text, { cause: err })
  return new InternalError(text, { cause: err })
}
