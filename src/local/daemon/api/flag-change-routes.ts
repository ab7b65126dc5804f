/**
 * Changing flags (bearer token): watching and unwatching flag files, setting, enabling, disabling
 * and deleting flags. Every change is recorded in the audit log with who made it.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { FlagService } from '../../flags/flag-service.js'
import { ActorBody, actorOf, AnyObject, KeyParams, tags } from './flag-route-shared.js'
import { ERROR_RESPONSES } from './schemas.js'

export const flagChangeRoutes: FastifyPluginCallbackTypebox<{ flags: FlagService }> = (
  app,
  { flags },
  done,
) => {
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
