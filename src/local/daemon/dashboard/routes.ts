/**
 * The dashboard's routes on the daemon's API server: its page and assets, the live stream (SSE),
 * the list rows and chart samples, and the session a browser acts with. Reading is open like every
 * GET route; acting goes through the server's token gate, which also takes a dashboard session.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import Type from 'typebox'
import { InputError, UnauthorizedError } from '../../../errors.js'
import { ERROR_RESPONSES, RolloutParams } from '../api/schemas.js'
import type { Daemon } from '../daemon.js'
import type { LiveFeed } from './live-feed.js'
import { DashboardSessions } from './sessions.js'
import { loadAssets, type Asset } from './static-assets.js'

export interface DashboardRouteOptions {
  daemon: Daemon
  feed: LiveFeed
  sessions: DashboardSessions
  /** Where the built dashboard is (tests point elsewhere); default dist/dashboard. */
  assetsDir?: string
}

/** A stream that falls this far behind (a stalled tab) is dropped; it reconnects and catches up. */
const MAX_STREAM_BACKLOG_BYTES = 4 * 1024 * 1024

const tags = ['dashboard']
const Open = (description: string) =>
  Type.Unsafe<unknown>({ type: 'object', additionalProperties: true, description })

/** Headers of every dashboard page and asset: nothing but its own scripts, never framed. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Kanari dashboard</title>
<p>The dashboard is not built in this installation. Run <code>npm run build</code> (or <code>npm ci</code>) in the Kanari package, then reload this page. The API works without it.</p>`

const LOGIN_FAILED = `<!doctype html><meta charset="utf-8"><title>Kanari dashboard</title>
<p>This login link was already used, or is more than a minute old. Run <code>kanari dashboard</code> again for a new one, or open <a href="/">the dashboard</a> to look without acting.</p>`

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(html)
}

export const dashboardRoutes: FastifyPluginCallbackTypebox<DashboardRouteOptions> = (
  app,
  options,
  done,
) => {
  const { daemon, feed, sessions } = options
  let assets: Map<string, Asset> | undefined
  const asset = (path: string): Asset | undefined => {
    assets ??= loadAssets(options.assetsDir)
    return assets?.get(path)
  }
  const serve = (path: string, reply: FastifyReply) => {
    const a = asset(path)
    if (a === undefined) {
      if (path === '/') return sendHtml(reply, 503, NOT_BUILT)
      return reply.code(404).type('text/plain').send(`no dashboard file ${path}`)
    }
    return reply
      .headers(PAGE_HEADERS)
      .header('cache-control', a.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(a.type)
      .send(a.body)
  }

  app.get('/', { schema: { hide: true } }, (_req, reply) => serve('/', reply))
  app.get(
    '/assets/:file',
    { schema: { hide: true, params: Type.Object({ file: Type.String() }) } },
    (req, reply) => serve(`/assets/${req.params.file}`, reply),
  )
  app.get('/favicon.svg', { schema: { hide: true } }, (_req, reply) => serve('/favicon.svg', reply))

  app.get(
    '/login',
    { schema: { hide: true, querystring: Type.Object({ code: Type.Optional(Type.String()) }) } },
    (req, reply) => {
      const session = sessions.redeem(req.query.code ?? '')
      if (session === undefined) return sendHtml(reply, 401, LOGIN_FAILED)
      // 303 to a clean address: the used code leaves the address bar at once.
      return reply
        .code(303)
        .headers(PAGE_HEADERS)
        .header('set-cookie', DashboardSessions.cookie(session, Date.now()))
        .header('cache-control', 'no-store')
        .redirect('/', 303)
    },
  )

  app.post(
    '/api/v1/dashboard/login-codes',
    {
      schema: {
        summary:
          'a one-time code for `GET /login?code=…` (valid one minute): the browser trades it for a session cookie',
        tags,
        response: {
          200: Type.Object({ code: Type.String(), expiresAt: Type.Number(), path: Type.String() }),
          ...ERROR_RESPONSES,
        },
      },
    },
    () => {
      const { code, expiresAt } = sessions.newLoginCode()
      return { code, expiresAt, path: `/login?code=${code}` }
    },
  )

  app.get(
    '/api/v1/dashboard/session',
    {
      schema: {
        summary: 'whether this browser holds a session that may act',
        tags,
        response: {
          200: Type.Object({
            canAct: Type.Boolean(),
            expiresAt: Type.Union([Type.Number(), Type.Null()]),
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    (req) => {
      const s = sessions.sessionOf(req)
      return { canAct: s !== undefined, expiresAt: s?.expiresAt ?? null }
    },
  )

  app.post(
    '/api/v1/dashboard/session',
    {
      schema: {
        summary: 'start a session (a cookie) from the bearer token pasted into the dashboard',
        tags,
        body: Type.Object({}),
        response: {
          200: Type.Object({ canAct: Type.Boolean(), expiresAt: Type.Number() }),
          ...ERROR_RESPONSES,
        },
      },
    },
    (_req, reply) => {
      const s = sessions.newSession()
      void reply.header('set-cookie', DashboardSessions.cookie(s, Date.now()))
      return { canAct: true, expiresAt: s.expiresAt }
    },
  )

  app.delete(
    '/api/v1/dashboard/session',
    {
      schema: {
        summary: "end this browser's session",
        tags,
        response: { 200: Type.Object({ canAct: Type.Boolean() }), ...ERROR_RESPONSES },
      },
    },
    (req, reply) => {
      const s = sessions.sessionOf(req)
      if (s === undefined)
        throw new UnauthorizedError('this browser has no session to end', {
          hint: 'nothing to do: it cannot act already',
        })
      sessions.end(s.session)
      void reply.header('set-cookie', DashboardSessions.cookie(undefined, Date.now()))
      return { canAct: false }
    },
  )

  app.get(
    '/api/v1/dashboard/rollouts',
    {
      schema: {
        summary:
          'the rollouts list: phase, step, canary weight, last verdict, age; failing first, then paused, progressing, healthy',
        tags,
        response: { 200: Type.Object({ items: Type.Array(Open('a rollout summary')) }) },
      },
    },
    () => ({ items: feed.summaries() }),
  )

  app.get(
    '/api/v1/dashboard/rollouts/:name/samples',
    {
      schema: {
        summary:
          "a rollout's samples of the last minutes (one a second since the daemon started): weight, error rates, p99, evidence",
        tags,
        params: RolloutParams,
        response: {
          200: Type.Object({ items: Type.Array(Open('a sample')) }),
          ...ERROR_RESPONSES,
        },
      },
    },
    (req) => {
      daemon.controller(req.params.name)
      return { items: feed.history(req.params.name) }
    },
  )

  app.get(
    '/api/v1/dashboard/stream',
    {
      schema: {
        summary:
          'Server-Sent Events: `rollout-event` (each stored engine event, with its id), `sample` (each rollout once a second), `rollout-deleted`; resumes after Last-Event-ID',
        tags,
      },
    },
    (req, reply) => {
      const raw = req.headers['last-event-id']
      const last = raw === undefined ? undefined : Number(raw)
      if (last !== undefined && !(Number.isInteger(last) && last >= 0))
        throw new InputError(`Last-Event-ID must be a whole number (got "${String(raw)}")`)
      void reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      })
      // Browsers reconnect after this many ms when the connection drops.
      res.write('retry: 1000\n\n')
      const unsubscribe = feed.subscribe(
        {
          send: (text) => {
            if (res.writableLength > MAX_STREAM_BACKLOG_BYTES) {
              res.destroy()
              throw new Error('stream backlog too large')
            }
            res.write(text)
          },
        },
        last,
      )
      res.on('close', unsubscribe)
    },
  )

  done()
}
