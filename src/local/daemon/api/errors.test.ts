/** Schema violations and Fastify's own request errors as Kanari errors, with the fields named. */
import { describe, expect, it } from 'vitest'
import { ConflictError } from '../../../errors.js'
import { schemaError, toKanariError } from './errors.js'

describe('schemaError', () => {
  it('names every wrong field with its path, the most specific problem only', () => {
    const err = schemaError(
      [
        {
          keyword: 'required',
          instancePath: '/files/0',
          schemaPath: '#',
          params: { requiredProperties: ['text'] },
          message: 'must have required properties text',
        },
        {
          keyword: 'type',
          instancePath: '/files/0/name',
          schemaPath: '#',
          params: {},
          message: 'must be string',
        },
        {
          keyword: 'additionalProperties',
          instancePath: '/files/0',
          schemaPath: '#',
          params: {},
          message: 'must not have additional properties',
        },
      ],
      'body',
    )
    expect(err.httpStatus).toBe(400)
    expect(err.code).toBe('KANARI_INVALID_INPUT')
    expect(err.message).toBe(
      'invalid request body: files[0].text is required; files[0].name must be string',
    )
    expect(err.details).toEqual([
      { path: 'files[0].text', message: 'is required' },
      { path: 'files[0].name', message: 'must be string' },
    ])
  })

  it('says which part of the request is wrong when the whole of it is', () => {
    const err = schemaError(
      [
        {
          keyword: 'type',
          instancePath: '',
          schemaPath: '#',
          params: {},
          message: 'must be object',
        },
      ],
      'body',
    )
    expect(err.message).toBe('invalid request body: the request body must be object')
  })
})

describe('toKanariError', () => {
  it('keeps Kanari errors, turns Fastify client errors into input errors, the rest internal', () => {
    const conflict = new ConflictError('busy')
    expect(toKanariError(conflict)).toBe(conflict)
    const tooLarge = toKanariError(
      Object.assign(new Error('Request body is too large'), {
        code: 'FST_ERR_CTP_BODY_TOO_LARGE',
        statusCode: 413,
      }),
    )
    expect([tooLarge.httpStatus, tooLarge.message]).toEqual([
      400,
      'request body over 4194304 bytes',
    ])
    expect(toKanariError(Object.assign(new Error('bad'), { statusCode: 415 })).httpStatus).toBe(400)
    const internal = toKanariError(new TypeError('x is undefined'))
    expect([internal.httpStatus, internal.code, internal.message]).toEqual([
      500,
      'KANARI_INTERNAL',
      'x is undefined',
    ])
  })
})
