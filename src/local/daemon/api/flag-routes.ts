/**
 * The daemon's flag routes: OFREP for apps, the flag change stream, reading flags (and the outcomes
 * apps report), and changing them. Each concern has its own file; this registers them all.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FlagService } from '../../flags/flag-service.js'
import { flagChangeRoutes } from './flag-change-routes.js'
import { flagEventRoutes } from './flag-event-routes.js'
import { ofrepRoutes } from './flag-ofrep-routes.js'
import { flagReadRoutes } from './flag-read-routes.js'

export { FLAG_EVENTS_PATH } from './flag-event-routes.js'

export const flagRoutes: FastifyPluginAsyncTypebox<{ flags: FlagService }> = async (
  app,
  options,
) => {
  await app.register(ofrepRoutes, options)
  await app.register(flagEventRoutes, options)
  await app.register(flagReadRoutes, options)
  await app.register(flagChangeRoutes, options)
}
