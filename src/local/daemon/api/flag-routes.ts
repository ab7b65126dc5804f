/**
 * The daemon's flag routes. OFREP 0.3.0 for apps (`POST /ofrep/v1/evaluate/flags[/{key}]`, open
 * like GET routes: evaluating changes nothing), the flag change stream (SSE), the app's outcome
 * reports, and the REST API to read and change flags (changes need the bearer token and are
 * recorded in the audit log).
 */
import { createHash } from 'node:crypto'
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { InputError } from '../../../errors.js'
import {
  canonicalJson,
  ofrepBulkItem,
  ofrepContext,
  ofrepSingle,
  type RequestedType,
} from '../../../flags/index.js'
import type { FlagChange, FlagService } from '../../flags/flag-service.js'
import { ERROR_RESPONSES } from './schemas.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Changes no state: served without the bearer token (see server.ts). */
    open?: boolean
  }
}

const tags = ['flags']
/** How long a client waits after an idle stream before reconnecting (sent as SSE `retry`). */
const SSE_RETRY_MS = 1000
const SSE_KEEPALIVE_MS = 15_000

export const FLAG_EVENTS_PATH = '/api/v1/flag-events'

const KeyParams = Type.Object({ key: Type.String({ minLength: 1, description: 'flag key' }) })
const AnyObject = (description: string) =>
  Type.Object({}, { additionalProperties: true, description })
const ActorBody = Type.Object(
  {
    actor: Type.Optional(
      Type.String({ description: 'who makes the change (recorded in the audit log)' }),
    ),
  },
  { additionalProperties: false },
)

/** Who asked: the body's `actor`, else the `x-kanari-actor` header, else "api". */
function actorOf(request: FastifyRequest, body?: { actor?: string | undefined }): string {
  const header = request.headers['x-kanari-actor']
  return body?.actor ?? (typeof header === 'string' && header !== '' ? header : 'api')
}

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

export const flagRoutes: FastifyPluginCallbackTypebox<{ flags: FlagService }> = (
  app,
  { flags },
  done,
) => {
  // ---- OFREP ----
  const open = { open: true }

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

  // ---- change stream ----

  app.get(
    FLAG_EVENTS_PATH,
    {
      schema: {
        summary:
          'flag changes as Server-Sent Events: {"type":"refetchEvaluation","etag","lastModified"} (OFREP) plus "version" and per-flag "flags" changes',
        tags,
        querystring: Type.Object({
          since: Type.Optional(
            Type.Integer({
              minimum: 0,
              description: 'the version the client has; a newer one is announced at once',
            }),
          ),
        }),
      },
    },
    (request, reply) => {
      const lastEventId = Number(request.headers['last-event-id'])
      const since = Number.isInteger(lastEventId) ? lastEventId : request.query.since
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      const send = (data: unknown, id?: number) =>
        res.write(`${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`)
      res.write(`retry: ${SSE_RETRY_MS}\n`)
      const announce = (
        change: Pick<FlagChange, 'version' | 'etag'> & { flags?: FlagChange['flags'] },
      ) =>
        send(
          { ...change, type: 'refetchEvaluation', lastModified: Math.floor(Date.now() / 1000) },
          change.version,
        )
      send({ type: 'ready', version: flags.version, etag: flags.etag })
      if (since !== undefined && since < flags.version)
        announce({ version: flags.version, etag: flags.etag })
      const unsubscribe = flags.onChange(announce)
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS)
      const close = () => {
        clearInterval(keepAlive)
        unsubscribe()
      }
      request.raw.on('close', close)
      res.on('error', close)
    },
  )

  // ---- outcomes reported by apps ----

  const Outcome = Type.Object({
    flag: Type.String({ minLength: 1 }),
    variant: Type.String({ minLength: 1 }),
    error: Type.Boolean({ description: 'the request failed' }),
    latencyMs: Type.Optional(Type.Number({ minimum: 0 })),
    at: Type.Optional(
      Type.Integer({ minimum: 0, description: 'epoch ms (default: when received)' }),
    ),
  })
  app.post(
    '/api/v1/flag-outcomes',
    {
      config: open,
      schema: {
        summary:
          "an app's outcomes per flag variant (what a flag rollout's analysis compares); open like OFREP",
        tags,
        body: Type.Object({ outcomes: Type.Array(Outcome, { maxItems: 10_000 }) }),
      },
    },
    (request) => {
      const now = Date.now()
      for (const o of request.body.outcomes) flags.outcomes.record(o, now)
      return { recorded: request.body.outcomes.length }
    },
  )

  // ---- reading ----

  app.post(
    '/api/v1/flags/:key/evaluate',
    {
      config: open,
      schema: {
        summary:
          'evaluate one flag for a context (what `kanari flags eval` shows): the resolution with its reason and error code',
        tags,
        params: KeyParams,
        body: Type.Object({
          context: Type.Optional(AnyObject('the evaluation context')),
          type: Type.Optional(
            Type.Union(
              ['boolean', 'string', 'number', 'integer', 'object'].map((t) => Type.Literal(t)),
              { description: 'the type the caller asks for: TYPE_MISMATCH when it differs' },
            ),
          ),
        }),
      },
    },
    (request) => {
      const { key } = request.params
      if (!flags.flagSet.has(key)) throw flags.notFound(key)
      const context = (request.body.context ?? {}) as Record<string, unknown>
      const now = Date.now()
      const type = request.body.type as RequestedType | undefined
      return type === undefined
        ? flags.flagSet.evaluate(key, context, now)
        : flags.flagSet.resolve(key, type, context, now)
    },
  )

  app.get(
    '/api/v1/flags',
    {
      schema: {
        summary: 'every flag served, where it comes from, and the watched flag files',
        tags,
      },
    },
    () => ({
      version: flags.version,
      etag: flags.etag,
      items: flags.list().map((e) => ({
        key: e.key,
        state: e.flag.state,
        type: flags.flagSet.typeOf(e.key),
        defaultVariant: e.flag.defaultVariant ?? null,
        variants: Object.keys(e.flag.variants),
        targeting: e.flag.targeting !== undefined && JSON.stringify(e.flag.targeting) !== '{}',
        source: e.source,
        shadows: e.shadows,
      })),
      sources: flags.sources(),
    }),
  )

  app.get(
    '/api/v1/flags/:key',
    {
      schema: {
        summary: 'one flag: its definition, where it comes from, its recent changes',
        tags,
        params: KeyParams,
      },
    },
    (request) => {
      const e = flags.entry(request.params.key)
      return {
        ...e,
        type: flags.flagSet.typeOf(e.key),
        audit: flags.audit({ key: e.key, limit: 20 }),
      }
    },
  )

  app.get(
    '/api/v1/flag-document',
    {
      schema: {
        summary: 'the served configuration as one flagd document (for in-process providers)',
        tags,
      },
    },
    (_request, reply) => {
      void reply.header('ETag', `"${flags.etag}"`)
      return { version: flags.version, etag: flags.etag, document: flags.document() }
    },
  )

  app.get(
    '/api/v1/flag-audit',
    {
      schema: {
        summary: 'the audit log: who changed which flag when, before and after',
        tags,
        querystring: Type.Object({
          key: Type.Optional(Type.String({ minLength: 1 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
      },
    },
    (request) => ({
      items: flags.audit({
        ...(request.query.key === undefined ? {} : { key: request.query.key }),
        limit: request.query.limit ?? 100,
      }),
    }),
  )

  app.get(
    '/api/v1/flag-sources',
    { schema: { summary: 'the watched flag files and their state', tags } },
    () => ({
      items: flags.sources(),
    }),
  )

  // ---- changing (bearer token) ----

  app.put(
    '/api/v1/flag-sources',
    {
      schema: {
        summary:
          'watch a flag file (hot-reloaded); refused whole, with every problem, if it has errors',
        tags,
        body: Type.Object({
          path: Type.String({ minLength: 1 }),
          actor: Type.Optional(Type.String()),
        }),
        response: { 200: AnyObject('the result'), ...ERROR_RESPONSES },
      },
    },
    (request) => flags.addSource(request.body.path, actorOf(request, request.body)),
  )

  app.delete(
    '/api/v1/flag-sources',
    {
      schema: {
        summary: 'stop watching a flag file (its flags stop being served)',
        tags,
        body: Type.Object({
          path: Type.String({ minLength: 1 }),
          actor: Type.Optional(Type.String()),
        }),
        response: { 200: AnyObject('the result'), ...ERROR_RESPONSES },
      },
    },
    (request) => {
      flags.removeSource(request.body.path, actorOf(request, request.body))
      return { removed: request.body.path }
    },
  )

  app.put(
    '/api/v1/flags/:key',
    {
      schema: {
        summary: "set a flag's whole definition (flagd format); it wins over flag files",
        tags,
        params: KeyParams,
        body: Type.Object({
          flag: AnyObject('the flag in flagd format'),
          actor: Type.Optional(Type.String()),
        }),
        response: { 200: AnyObject('the result'), ...ERROR_RESPONSES },
      },
    },
    (request) =>
      flags.setFlag(request.params.key, request.body.flag, actorOf(request, request.body)),
  )

  for (const state of ['enable', 'disable'] as const)
    app.post(
      `/api/v1/flags/:key/${state}`,
      {
        schema: {
          summary: `${state} a flag (${state === 'disable' ? 'callers get their code default' : 'it serves its variants again'})`,
          tags,
          params: KeyParams,
          body: ActorBody,
          response: { 200: AnyObject('the result'), ...ERROR_RESPONSES },
        },
      },
      (request) =>
        flags.setState(
          request.params.key,
          state === 'enable' ? 'ENABLED' : 'DISABLED',
          actorOf(request, request.body),
        ),
    )

  app.delete(
    '/api/v1/flags/:key',
    {
      schema: {
        summary:
          'remove a flag set through the API (a flag file that defines the key serves it again)',
        tags,
        params: KeyParams,
        response: { 200: AnyObject('the result'), ...ERROR_RESPONSES },
      },
    },
    (request) => ({
      deleted: request.params.key,
      ...flags.deleteFlag(
        request.params.key,
        actorOf(request, request.body as { actor?: string } | undefined),
      ),
    }),
  )

  done()
}
