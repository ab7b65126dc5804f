/**
 * The daemon's REST API over real HTTP on loopback: the OpenAPI document, the Host check against
 * DNS rebinding, the bearer token, schema-checked bodies that change nothing when wrong, and errors.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { Daemon } from '../../src/local/daemon/daemon.js'
import { demoRollout } from '../helpers/manifests.js'
import { waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-api-test-'))
let daemon: Daemon

interface Answer {
  status: number
  body: unknown
}

interface ErrorAnswer {
  error: { code: string; message: string; hint?: string; details?: unknown }
}

/** One request; `token: true` sends the daemon's bearer token, a string sends that one instead. */
async function call(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; token?: boolean | string; host?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (options.token !== undefined && options.token !== false)
    headers.authorization = `Bearer ${options.token === true ? daemon.token : options.token}`
  if (options.host !== undefined) headers.host = options.host
  const res = await request(`${daemon.url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  return { status: res.statusCode, body: await res.body.json() }
}

function errorOf(answer: Answer): ErrorAnswer['error'] {
  return (answer.body as ErrorAnswer).error
}

async function view(): Promise<RolloutView> {
  const res = await call('GET', '/api/v1/rollouts/web')
  expect(res.status).toBe(200)
  return res.body as RolloutView
}

const manifest = demoRollout('web')

beforeAll(async () => {
  daemon = await Daemon.start({ stateDir, apiPort: 0, tickMs: 200, log: () => undefined })
  const applied = await call('PUT', '/api/v1/rollouts', {
    token: true,
    body: { files: [{ name: 'web.yaml', text: manifest }], baseDir: stateDir },
  })
  expect(applied).toEqual({
    status: 200,
    body: { results: [{ name: 'web', revision: 1, result: 'created' }] },
  })
  await waitFor(async () => (await view()).status.phase === 'Healthy', 'web v1 Healthy', 30_000)
  const env = await call('POST', '/api/v1/rollouts/web/env', {
    token: true,
    body: { set: { COLOR: 'green' } },
  })
  expect(env.status).toBe(200)
  // A canary paused at 30%: any promote that got through would move it on.
  await waitFor(
    async () => {
      const v = await view()
      return v.status.phase === 'Paused' && v.status.currentStepIndex === 1
    },
    'web v2 paused at 30%',
    30_000,
  )
}, 60_000)

afterAll(async () => {
  await daemon.stop({ keepReplicas: false, drainMs: 500 })
  rmSync(stateDir, { recursive: true, force: true })
})

describe('daemon API', () => {
  it('serves an OpenAPI document built from the route schemas', async () => {
    const res = await call('GET', '/api/v1/openapi.json')
    expect(res.status).toBe(200)
    const doc = res.body as {
      openapi: string
      paths: Record<string, Record<string, Record<string, unknown>>>
    }
    expect(doc.openapi).toMatch(/^3\./)
    const routes = Object.entries(doc.paths)
      // flag routes are checked in test/flags/ofrep.test.ts
      .filter(([path]) => !/\/(ofrep|flags?\b|flag-)/.test(path))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
    expect(routes.sort()).toEqual(
      [
        'GET /api/v1/health',
        'GET /api/v1/rollouts',
        'PUT /api/v1/rollouts',
        'GET /api/v1/rollouts/{name}',
        'DELETE /api/v1/rollouts/{name}',
        'GET /api/v1/rollouts/{name}/events',
        'GET /api/v1/rollouts/{name}/logs',
        'GET /api/v1/rollouts/{name}/diagnosis',
        'PUT /api/v1/rollouts/{name}/diagnosis/advisor',
        'POST /api/v1/rollouts/{name}/promote',
        'POST /api/v1/rollouts/{name}/abort',
        'POST /api/v1/rollouts/{name}/retry',
        'POST /api/v1/rollouts/{name}/pause',
        'POST /api/v1/rollouts/{name}/resume',
        'POST /api/v1/rollouts/{name}/undo',
        'POST /api/v1/rollouts/{name}/env',
        'POST /api/v1/shutdown',
        'GET /api/v1/gates',
        'POST /api/v1/gates/{name}/open',
        'POST /api/v1/gates/{name}/close',
        'POST /api/v1/gates/{name}/check',
        'GET /api/v1/loadtests',
        'POST /api/v1/loadtests',
        'GET /metrics',
        // The dashboard's (docs/dashboard.md).
        'GET /api/v1/dashboard/rollouts',
        'GET /api/v1/dashboard/rollouts/{name}/samples',
        'GET /api/v1/dashboard/stream',
        'GET /api/v1/dashboard/session',
        'POST /api/v1/dashboard/session',
        'DELETE /api/v1/dashboard/session',
        'POST /api/v1/dashboard/login-codes',
        'GET /api/v1/prometheus/targets',
      ].sort(),
    )
    // The two routes webhooks call take no token; opening a gate does.
    expect(doc.paths['/api/v1/gates/{name}/check']?.post?.security).toBeUndefined()
    expect(doc.paths['/api/v1/loadtests']?.post?.security).toBeUndefined()
    expect(doc.paths['/api/v1/gates/{name}/open']?.post?.security).toEqual([{ bearer: [] }])
    const apply = doc.paths['/api/v1/rollouts']?.put
    expect(apply?.security).toEqual([{ bearer: [] }])
    expect(apply?.requestBody).toMatchObject({
      content: { 'application/json': { schema: { required: ['files', 'baseDir'] } } },
    })
    expect(doc.paths['/api/v1/rollouts/{name}/promote']?.post?.requestBody).toMatchObject({
      content: {
        'application/json': { schema: { properties: { full: { type: 'boolean' } } } },
      },
    })
    expect(doc.paths['/api/v1/rollouts/{name}']?.get?.security).toBeUndefined()
  })

  it('answers only requests addressed to a loopback host name', async () => {
    for (const host of ['127.0.0.1', `127.0.0.1:${new URL(daemon.url).port}`, 'localhost:1']) {
      expect((await call('GET', '/api/v1/health', { host })).status).toBe(200)
    }
    expect((await call('GET', '/api/v1/health', { host: '[::1]:9' })).status).toBe(200)

    const evil = await call('GET', '/api/v1/rollouts/web', { host: 'evil.example:1234' })
    expect(evil.status).toBe(403)
    expect(errorOf(evil).code).toBe('KANARI_FORBIDDEN_HOST')
    expect(errorOf(evil).message).toContain('evil.example:1234')
    expect(errorOf(evil).hint).toContain(join(stateDir, 'api.json'))
    // A name that merely starts like a loopback one is refused too, as is a change with the token.
    expect((await call('GET', '/api/v1/health', { host: 'localhost.evil.example' })).status).toBe(
      403,
    )
    const change = await call('POST', '/api/v1/rollouts/web/promote', {
      token: true,
      host: '127.0.0.1.nip.io',
      body: {},
    })
    expect(change.status).toBe(403)
    expect((await view()).status).toMatchObject({ phase: 'Paused', currentStepIndex: 1 })
  })

  it('refuses changes without the right bearer token', async () => {
    for (const token of [false, 'not-the-token']) {
      const res = await call('POST', '/api/v1/rollouts/web/promote', { token, body: {} })
      expect(res.status).toBe(401)
      expect(errorOf(res)).toEqual({
        code: 'KANARI_UNAUTHORIZED',
        message: 'missing or wrong bearer token',
        hint: 'the token is in <state-dir>/api.json',
      })
    }
    expect((await call('DELETE', '/api/v1/rollouts/web')).status).toBe(401)
    expect((await view()).status).toMatchObject({ phase: 'Paused', currentStepIndex: 1 })
  })

  it('refuses a body that breaks its schema, naming the field, and changes nothing', async () => {
    const before = await view()
    const promote = await call('POST', '/api/v1/rollouts/web/promote', {
      token: true,
      body: { full: 'yes' },
    })
    expect(promote.status).toBe(400)
    expect(errorOf(promote).code).toBe('KANARI_INVALID_INPUT')
    expect(errorOf(promote).message).toBe('invalid request body: full must be boolean')

    const apply = await call('PUT', '/api/v1/rollouts', {
      token: true,
      body: { baseDir: stateDir },
    })
    expect(apply.status).toBe(400)
    expect(errorOf(apply)).toMatchObject({
      code: 'KANARI_INVALID_INPUT',
      message: 'invalid request body: files is required',
      details: [{ path: 'files', message: 'is required' }],
    })

    const env = await call('POST', '/api/v1/rollouts/web/env', {
      token: true,
      body: { set: { COLOR: 7 } },
    })
    expect(env.status).toBe(400)
    expect(errorOf(env).message).toBe('invalid request body: set.COLOR must be string')

    const after = await view()
    expect(after.revision).toBe(before.revision)
    expect(after.status).toEqual(before.status)
    expect(after.events.map((e) => e.id)).toEqual(before.events.map((e) => e.id))
  })

  it('answers an unknown rollout with 404 and the rollouts it knows', async () => {
    const res = await call('GET', '/api/v1/rollouts/nope')
    expect(res.status).toBe(404)
    expect(errorOf(res)).toEqual({
      code: 'KANARI_NOT_FOUND',
      message: 'rollout nope not found',
      hint: 'known rollouts: web',
    })
    const promote = await call('POST', '/api/v1/rollouts/nope/promote', { token: true, body: {} })
    expect(promote.status).toBe(404)
    expect(errorOf(promote).code).toBe('KANARI_NOT_FOUND')
  })

  it('sends the whole view: the response schema strips nothing', async () => {
    // Compare when nothing moved between two reads, so the HTTP answer saw the same state.
    const [local, remote] = await waitFor(async () => {
      const first = JSON.stringify(daemon.describe('web'))
      const answer = await view()
      const second = JSON.stringify(daemon.describe('web'))
      return first === second ? [JSON.parse(second) as unknown, answer] : undefined
    }, 'a quiet moment')
    expect(remote).toEqual(local)
    expect(Object.keys(remote.status)).toContain('analyses')
    expect(remote.processTable.length).toBeGreaterThan(0)
  })
})
