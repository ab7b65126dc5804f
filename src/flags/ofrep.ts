/**
 * OFREP 0.3.0 (OpenFeature Remote Evaluation Protocol) wire shapes: a resolution as the body and
 * status of `POST /ofrep/v1/evaluate/flags/{key}`, and as an item of the bulk answer. OFREP carries
 * no type, so TYPE_MISMATCH is the client's to find.
 */
import { MAX_NESTING, nestsDeeperThan } from './nesting.js'
import type { ErrorCode, EvaluationContext, Resolution } from './flag-set.js'

export interface OfrepAnswer {
  status: 200 | 400 | 404
  body: Record<string, unknown>
}

/** The error codes an OFREP 400 may carry; others are sent as GENERAL. */
const OFREP_400_CODES: readonly ErrorCode[] = [
  'PARSE_ERROR',
  'TARGETING_KEY_MISSING',
  'INVALID_CONTEXT',
  'GENERAL',
]

function success(r: Resolution): Record<string, unknown> {
  const body: Record<string, unknown> = { key: r.key, reason: r.reason }
  if (r.variant !== undefined) body.variant = r.variant
  if (r.value !== undefined) body.value = r.value
  body.metadata = r.metadata
  return body
}

function failure(r: Resolution): Record<string, unknown> {
  const code = r.errorCode ?? 'GENERAL'
  return {
    key: r.key,
    errorCode: code === 'FLAG_NOT_FOUND' || OFREP_400_CODES.includes(code) ? code : 'GENERAL',
    errorDetails: r.errorMessage ?? code,
    metadata: r.metadata,
  }
}

/** The answer to a single-flag evaluation. */
export function ofrepSingle(r: Resolution): OfrepAnswer {
  if (r.reason !== 'ERROR') return { status: 200, body: success(r) }
  if (r.errorCode === 'FLAG_NOT_FOUND')
    return {
      status: 404,
      body: {
        key: r.key,
        errorCode: 'FLAG_NOT_FOUND',
        errorDetails: r.errorMessage ?? `flag \`${r.key}\` does not exist`,
      },
    }
  return { status: 400, body: failure(r) }
}

/** One item of the bulk answer: a success, or a failure in place. */
export function ofrepBulkItem(r: Resolution): Record<string, unknown> {
  return r.reason === 'ERROR' ? failure(r) : success(r)
}

/** The context of an OFREP request body, or the 400 to answer when it has none that can be used. */
export function ofrepContext(
  body: unknown,
): { context: EvaluationContext } | { error: OfrepAnswer } {
  if (body === undefined || body === null) return { context: {} }
  if (typeof body !== 'object' || Array.isArray(body))
    return { error: invalidContext('the request body must be a JSON object: {"context": {…}}') }
  const context = (body as Record<string, unknown>).context
  if (context === undefined || context === null) return { context: {} }
  if (typeof context !== 'object' || Array.isArray(context))
    return {
      error: invalidContext(
        '"context" must be a JSON object of attributes, like {"targetingKey": "user-1"}',
      ),
    }
  // Deeper than this, hashing the context for the ETag would run out of stack: refused, clearly.
  if (nestsDeeperThan(context))
    return {
      error: invalidContext(
        `"context" nests more than ${MAX_NESTING} objects and arrays deep; send the attributes targeting reads, flatter`,
      ),
    }
  const targetingKey = (context as Record<string, unknown>).targetingKey
  if (targetingKey !== undefined && typeof targetingKey !== 'string')
    return { error: invalidContext('"context.targetingKey" must be a string') }
  return { context: context as EvaluationContext }
}

function invalidContext(details: string): OfrepAnswer {
  return { status: 400, body: { errorCode: 'INVALID_CONTEXT', errorDetails: details } }
}

/** JSON with object keys sorted: equal contexts give equal text (for ETags). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  )
}
