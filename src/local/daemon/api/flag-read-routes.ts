/**
 * Reading flags (open or token-guarded GETs): the served flags and their sources, one flag with its
 * recent changes, the served document, the audit log, an evaluation with reason and error code,
 * and the outcomes apps report per variant (open like OFREP).
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { RequestedType } from '../../../flags/index.js'
import type { FlagService } from '../../flags/flag-service.js'
import { AnyObject, KeyParams, open, tags } from './flag-route-shared.js'

export const flagReadRoutes: FastifyPluginCallbackTypebox<{ flags: FlagService }> = (
  app,
  { flags },
  done,
) => {
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

  done()
}
