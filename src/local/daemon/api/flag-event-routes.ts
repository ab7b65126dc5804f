/**
 * The flag change stream (Server-Sent Events): OFREP's `refetchEvaluation` plus Kanari's version
 * and per-flag changes; a client that says which version it has hears of a newer one at once.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { FlagChange, FlagService } from '../../flags/flag-service.js'
import { tags } from './flag-route-shared.js'

/** How long a client waits after an idle stream before reconnecting (sent as SSE `retry`). */
const SSE_RETRY_MS = 1000
const SSE_KEEPALIVE_MS = 15_000

export const FLAG_EVENTS_PATH = '/api/v1/flag-events'

export const flagEventRoutes: FastifyPluginCallbackTypebox<{ flags: FlagService }> = (
  app,
  { flags },
  done,
) => {
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

  done()
}
