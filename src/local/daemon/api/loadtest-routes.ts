/**
 * Load runs: `POST /api/v1/loadtests` starts a bounded one — from a JSON request, or from a webhook
 * payload carrying the request in its metadata, as Flagger's load tester takes it — and answers 202;
 * the same run asked again while it goes on is not started twice. It needs no token, as a webhook
 * cannot carry one; it sends only to this machine, and only a JSON body starts it (a web page
 * cannot post one across origins).
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { parseLoadtestBody } from '../../load/index.js'
import type { Daemon } from '../daemon.js'
import { ERROR_RESPONSES, LoadtestListResponse, LoadtestStartResponse } from './schemas.js'

const tags = ['loadtests']

export const loadtestRoutes: FastifyPluginCallbackTypebox<{ daemon: Daemon }> = (
  app,
  { daemon },
  done,
) => {
  app.get(
    '/api/v1/loadtests',
    {
      schema: {
        summary: 'load runs going on, and the last ones that ended, with their summaries',
        tags,
        response: { 200: LoadtestListResponse, ...ERROR_RESPONSES },
      },
    },
    () => ({ items: daemon.loadtests.list() }),
  )

  app.post(
    '/api/v1/loadtests',
    {
      config: { open: true },
      schema: {
        summary:
          'start a bounded load run on this machine: { url, rate, duration, concurrency, method, headers, body }, or a webhook payload with them in metadata',
        tags,
        body: Type.Unknown(),
        response: { 202: LoadtestStartResponse, ...ERROR_RESPONSES },
      },
    },
    (req, reply) => {
      const { owner, request } = parseLoadtestBody(req.body)
      const result = daemon.loadtests.start(owner, request)
      void reply.code(202)
      return result
    },
  )

  done()
}
