/**
 * The daemon's REST API server: Fastify on 127.0.0.1 with the loopback-host and bearer-token gates,
 * TypeBox-checked routes, one error handler for every failure, and the OpenAPI document of it all.
 */
import fastifySwagger from '@fastify/swagger'
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { fastify, type FastifyInstance, type onRequestHookHandler } from 'fastify'
import { InputError, NotFoundError } from '../../../errors.js'
import { KANARI_VERSION } from '../../../version.js'
import type { Daemon } from '../daemon.js'
import { dashboardRoutes, type DashboardRouteOptions } from '../dashboard/routes.js'
import { MAX_BODY_BYTES, parseJsonBody } from './body.js'
import { schemaError, toKanariError } from './errors.js'
import { flagRoutes } from './flag-routes.js'
import { diagnosisRoutes } from './diagnosis-routes.js'
import { gateRoutes } from './gate-routes.js'
import { checkHost, checkJsonBody, checkToken } from './guards.js'
import { loadtestRoutes } from './loadtest-routes.js'
import { readRoutes } from './read-routes.js'
import { writeRoutes } from './write-routes.js'

export const OPENAPI_PATH = '/api/v1/openapi.json'

export interface ApiServerOptions {
  daemon: Daemon
  /** Bearer token every non-GET route requires. */
  token: string
  /** `<stateDir>/api.json`, named when a request for a foreign host is refused. */
  apiInfoFile: string
  log: (line: string) => void
  /** The dashboard's feed and sessions: a session may act in place of the token. */
  dashboard?: Omit<DashboardRouteOptions, 'daemon'>
}

/** `/api/v1/rollouts/:name` → a RegExp matching the paths of that route. */
function pathPattern(url: string): RegExp {
  const segments = url
    .split('/')
    .map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  return new RegExp(`^${segments.join('/')}$`)
}

export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const app = fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    exposeHeadRoutes: false,
    // `kanari down` must not wait for idle keep-alive connections of other clients.
    forceCloseConnections: true,
    // A long name should be "rollout … not found", not Fastify's 414.
    routerOptions: { maxParamLength: 1024 },
    schemaErrorFormatter: schemaError,
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(TypeBoxValidatorCompiler)
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJsonBody)

  app.addHook('onRequest', (request, _reply, done) => {
    done(checkHost(request.headers.host, options.apiInfoFile))
  })
  const tokenGate: onRequestHookHandler = (request, _reply, done) => {
    const refused = checkToken(request.headers.authorization, options.token)
    done(refused !== undefined && options.dashboard?.sessions.admits(request) ? undefined : refused)
  }
  // Routes webhooks call take no token, but only a JSON body, which no web page can send across
  // origins without the daemon's consent (it gives none).
  const jsonGate: onRequestHookHandler = (request, _reply, done) => {
    done(checkJsonBody(request.headers['content-type']))
  }
  // Paths of every route, so a known path asked with another method is told so (not a 404).
  const routePaths: RegExp[] = []
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat()
    routePaths.push(pathPattern(route.url))
    // Open routes change no guarded state (a webhook's gate check or load test, OFREP evaluation, a
    // flag's outcome reports): no token, but a JSON body, which a cross-site form cannot send.
    const open = route.config?.open === true
    if (methods.some((m) => m !== 'GET') && open)
      route.onRequest = [...[route.onRequest ?? []].flat(), jsonGate]
    else if (methods.some((m) => m !== 'GET')) {
      route.onRequest = [...[route.onRequest ?? []].flat(), tokenGate]
      route.schema = { ...route.schema, security: [{ bearer: [] }] }
    }
  })
  // No body at all reads like an empty one: `{}`.
  app.addHook('preValidation', (request, _reply, done) => {
    request.body ??= {}
    done()
  })
  app.setNotFoundHandler((request) => {
    const path = new URL(request.url, 'http://127.0.0.1').pathname
    throw routePaths.some((p) => p.test(path))
      ? new InputError(`${request.method} is not allowed on ${path}`)
      : new NotFoundError(`no API route ${request.method} ${path}`)
  })
  app.setErrorHandler((err, request, reply) => {
    const error = toKanariError(err)
    if (error.httpStatus >= 500) {
      const cause = error.cause instanceof Error ? error.cause : error
      options.log(`api: ${request.method} ${request.url} failed: ${cause.stack ?? cause.message}`)
    }
    return reply.code(error.httpStatus).send({ error: error.toJSON() })
  })

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Kanari daemon API',
        version: KANARI_VERSION,
        description:
          'The local daemon on 127.0.0.1. GET routes are open to anyone on this machine, and so are the routes webhooks call (a gate check and starting a load test) and the routes apps call for flags (OFREP evaluation and outcome reports), which take a JSON body; every other route needs the bearer token from <state-dir>/api.json. Requests must be addressed to 127.0.0.1, localhost or [::1].',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'the token in <state-dir>/api.json',
          },
        },
      },
    },
  })
  await app.register(readRoutes, { daemon: options.daemon })
  await app.register(writeRoutes, { daemon: options.daemon })
  await app.register(flagRoutes, { flags: options.daemon.flags })
  await app.register(diagnosisRoutes, { daemon: options.daemon })
  if (options.dashboard !== undefined)
    await app.register(dashboardRoutes, { daemon: options.daemon, ...options.dashboard })
  await app.register(gateRoutes, { daemon: options.daemon })
  await app.register(loadtestRoutes, { daemon: options.daemon })
  app.get(OPENAPI_PATH, { schema: { hide: true } }, () => app.swagger())
  return app
}
