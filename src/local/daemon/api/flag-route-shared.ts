/**
 * What the flag route files share: their OpenAPI tag, request shapes, who made a change, and the
 * `open` route config (served without the bearer token, like GET routes).
 */
import type { FastifyRequest } from 'fastify'
import Type from 'typebox'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Changes no state: served without the bearer token (see server.ts). */
    open?: boolean
  }
}

export const tags = ['flags']
export const open = { open: true }

export const KeyParams = Type.Object({
  key: Type.String({ minLength: 1, description: 'flag key' }),
})
export const AnyObject = (description: string) =>
  Type.Object({}, { additionalProperties: true, description })
export const ActorBody = Type.Object(
  {
    actor: Type.Optional(
      Type.String({ description: 'who makes the change (recorded in the audit log)' }),
    ),
  },
  { additionalProperties: false },
)

/** Who asked: the body's `actor`, else the `x-kanari-actor` header, else "api". */
export function actorOf(request: FastifyRequest, body?: { actor?: string | undefined }): string {
  const header = request.headers['x-kanari-actor']
  return body?.actor ?? (typeof header === 'string' && header !== '' ? header : 'api')
}
