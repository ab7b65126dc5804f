/**
 * The API's read-only routes (open to anyone on this machine): health, the rollout list, one
 * rollout's view, its events and replica logs, Kanari's own metrics for Prometheus, and where
 * Prometheus finds each rollout proxy's metrics (HTTP service discovery).
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ConflictError } from '../../../errors.js'
import { KANARI_VERSION } from '../../../version.js'
import type { Daemon } from '../daemon.js'
import { replicaSetKey } from '../rollout-controller.js'
import { listEntry, prometheusTargets } from '../views.js'
import { EVENTS_PAGE } from './limits.js'
import {
  ERROR_RESPONSES,
  EventsQuery,
  EventsResponse,
  HealthResponse,
  LogsQuery,
  LogsResponse,
  PrometheusTargetsResponse,
  RolloutListResponse,
  RolloutParams,
  RolloutViewSchema,
  ViewQuery,
} from './schemas.js'

const tags = ['rollouts']

export const readRoutes: FastifyPluginCallbackTypebox<{ daemon: Daemon }> = (
  app,
  { daemon },
  done,
) => {
  app.get(
    '/api/v1/health',
    {
      schema: {
        summary: 'the daemon is up: its version, pid and state directory',
        tags: ['daemon'],
        response: { 200: HealthResponse, ...ERROR_RESPONSES },
      },
    },
    () => ({
      ok: true,
      version: KANARI_VERSION,
      pid: process.pid,
      stateDir: daemon.options.stateDir,
      daemon: daemon.writeHealth(),
    }),
  )

  app.get(
    '/api/v1/rollouts',
    {
      schema: {
        summary: 'every rollout with its phase, revisions and canary weight',
        tags,
        response: { 200: RolloutListResponse, ...ERROR_RESPONSES },
      },
    },
    () => ({
      items: [...daemon.controllers.values()].map(listEntry),
      daemon: daemon.store.writeHealth(),
    }),
  )

  app.get(
    '/api/v1/rollouts/:name',
    {
      schema: {
        summary: 'one rollout: status, plan, versions, recent events and the release process',
        tags,
        params: RolloutParams,
        querystring: ViewQuery,
        response: { 200: RolloutViewSchema, ...ERROR_RESPONSES },
      },
    },
    (req) => daemon.describe(req.params.name, req.query.events ?? 200),
  )

  app.get(
    '/api/v1/rollouts/:name/events',
    {
      schema: {
        summary: `a rollout's latest stored events after \`since\` (at most ${EVENTS_PAGE})`,
        tags,
        params: RolloutParams,
        querystring: EventsQuery,
        response: { 200: EventsResponse, ...ERROR_RESPONSES },
      },
    },
    (req) => {
      daemon.controller(req.params.name)
      return {
        items: daemon.store.events.list(req.params.name, {
          sinceId: req.query.since ?? 0,
          limit: EVENTS_PAGE,
        }),
      }
    },
  )

  app.get(
    '/api/v1/rollouts/:name/logs',
    {
      schema: {
        summary: "recent log lines of a rollout's stable (or canary) replicas",
        tags,
        params: RolloutParams,
        querystring: LogsQuery,
        response: { 200: LogsResponse, ...ERROR_RESPONSES },
      },
    },
    (req) => {
      const c = daemon.controller(req.params.name)
      const canary = req.query.canary ?? false
      const revision = canary ? c.status.canaryRevision : c.status.stableRevision
      if (revision === null)
        throw new ConflictError(
          `rollout ${c.name} has no ${canary ? 'canary' : 'stable'} revision running`,
        )
      const lines = daemon.supervisor.logs(replicaSetKey(c.name, revision), {
        lines: req.query.lines ?? 100,
      })
      return { revision, lines }
    },
  )

  app.get(
    '/metrics',
    {
      schema: {
        summary:
          "Kanari's own metrics: rollout phase, canary weight, analysis results, decisions (Prometheus text format)",
        tags: ['daemon'],
        response: {
          200: {
            description: 'Prometheus text exposition format 0.0.4',
            content: { 'text/plain': { schema: Type.String() } },
          },
        },
      },
    },
    async (_req, reply) => {
      void reply.type(daemon.metrics.contentType)
      return daemon.metrics.text()
    },
  )

  app.get(
    '/api/v1/prometheus/targets',
    {
      schema: {
        summary:
          "where each rollout proxy serves its request metrics, in Prometheus' HTTP service discovery format (http_sd_configs)",
        tags: ['daemon'],
        response: { 200: PrometheusTargetsResponse },
      },
    },
    () => prometheusTargets(daemon.controllers.values()),
  )

  done()
}
