/**
 * OFREP 0.3.0 for apps: `POST /ofrep/v1/evaluate/flags[/{key}]`, open like GET routes (evaluating
 * changes nothing); the bulk answer carries an ETag and points at the flag change stream.
 */
import { createHash } from 'node:crypto'
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InputError } from '../../../errors.js'
import { canonicalJson, ofrepBulkItem, ofrepContext, ofrepSingle } from '../../../flags/index.js'
import type { FlagService } from '../../flags/flag-service.js'
import { FLAG_EVENTS_PATH } from './flag-event-routes.js'
import { KeyParams, open } from './flag-route-shared.js'

/** An OFREP answer for a failure before evaluation (a body that is not JSON, or not an object). */
function ofrepErrorHandler(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
  const status = (error as { statusCode?: number }).statusCode
  if (status === 413) {
    void reply.code(413).send({ errorDetails: 'request body too large' })
  } else if (error instanceof InputError || (status !== undefined && status < 500)) {
    void reply.code(400).send({
      errorCode: 'INVALID_CONTEXT',
      errorDetails: `provider context is not valid: ${error.message}`,
    })
  } else void reply.code(500).send({ errorDetails: `evaluation failed: ${error.message}` })
}

/** The ETag of a bulk answer: the flag configuration and the context together. */
function bulkEtag(configEtag: string, context: unknown): string {
  return `"${createHash('sha1').update(configEtag).update('\0').update(canonicalJson(context)).digest('hex').slice(0, 27)}"`
}

function matchesEtag(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false
  const tags = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
  return tags.includes(etag) || tags.includes('*')
}

export const ofrepRoutes: FastifyPluginCallbackTypebox<{ flags: FlagService }> = (
  app,
  { flags },
  done,
) => {
  // ---- OFREP ----
  app.post(
    '/ofrep/v1/evaluate/flags/:key',
    {
      config: open,
      errorHandler: ofrepErrorHandler,
      schema: {
        summary: 'OFREP: evaluate one flag for a context',
        tags: ['ofrep'],
        params: KeyParams,
      },
    },
    (request, reply) => {
      const parsed = ofrepContext(request.body)
      if ('error' in parsed)
        return reply
          .code(parsed.error.status)
          .send({ key: request.params.key, ...parsed.error.body })
      const answer = ofrepSingle(
        flags.flagSet.evaluate(request.params.key, parsed.context, Date.now()),
      )
      return reply.code(answer.status).send(answer.body)
    },
  )

  app.post(
    '/ofrep/v1/evaluate/flags',
    {
      config: open,
      errorHandler: ofrepErrorHandler,
      schema: {
        summary:
          'OFREP: evaluate every flag for a context; ETag / If-None-Match (the tag covers the flags and the context)',
        tags: ['ofrep'],
      },
    },
    (request, reply) => {
      const parsed = ofrepContext(request.body)
      if ('error' in parsed) return reply.code(parsed.error.status).send(parsed.error.body)
      const set = flags.flagSet
      const version = flags.version
      const etag = bulkEtag(flags.etag, parsed.context)
      void reply.header('ETag', etag).header('Cache-Control', 'no-cache')
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send()
      return reply.code(200).send({
        flags: set.evaluateAll(parsed.context, Date.now()).map(ofrepBulkItem),
        metadata: set.metadata,
        // `since`: a change made before the stream connects is announced as soon as it does.
        eventStreams: [
          {
            type: 'sse',
            endpoint: { requestUri: `${FLAG_EVENTS_PATH}?since=${version}` },
            inactivityDelaySec: 120,
          },
        ],
      })
    },
  )

  done()
}
