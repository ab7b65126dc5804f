/**
 * OFREP against a running daemon, with the OpenFeature SDKs and their published OFREP providers as
 * the clients: the server SDK (dynamic context, one request per evaluation) and the web SDK (bulk
 * evaluation with ETag, refreshed by the daemon's SSE change stream). Flags come from a watched file
 * that the test edits: hot reload, a broken edit refused whole while the last good version serves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OFREPProvider } from '@openfeature/ofrep-provider'
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider'
import { OpenFeature as ServerOpenFeature } from '@openfeature/server-sdk'
import {
  OpenFeature as WebOpenFeature,
  ProviderEvents,
  type Provider as WebProvider,
} from '@openfeature/web-sdk'
import { EventSource } from 'eventsource'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Daemon } from '../../src/local/daemon/daemon.js'
import { waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-ofrep-test-'))
const flagFile = join(stateDir, 'flags.json')
let daemon: Daemon

function flagsV1(headerColor = 'red') {
  return {
    metadata: { flagSetId: 'shop', version: '1' },
    flags: {
      'new-checkout': {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting: { if: [{ ends_with: [{ var: 'email' }, '@kanari.dev'] }, 'on', null] },
        metadata: { owner: 'checkout' },
      },
      'header-color': {
        state: 'ENABLED',
        variants: { red: '#f00', green: '#0f0', blue: '#00f' },
        defaultVariant: headerColor,
      },
      'discount-percent': {
        state: 'ENABLED',
        variants: { none: 0, some: 10 },
        defaultVariant: 'some',
      },
      'old-banner': { state: 'DISABLED', variants: { on: true, off: false }, defaultVariant: 'on' },
    },
  }
}

async function ofrep(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await request(`${daemon.url}/ofrep/v1/evaluate/flags${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.body.text()
  return {
    status: res.statusCode,
    etag: res.headers.etag as string | undefined,
    body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  }
}

beforeAll(async () => {
  writeFileSync(flagFile, JSON.stringify(flagsV1(), null, 2))
  daemon = await Daemon.start({ stateDir, apiPort: 0, tickMs: 500, log: () => undefined })
  await daemon.flags.addSource(flagFile, 'test')
})

afterAll(async () => {
  await ServerOpenFeature.close()
  await WebOpenFeature.close()
  await daemon.stop({ keepReplicas: false })
  rmSync(stateDir, { recursive: true, force: true })
})

describe('OFREP with @openfeature/server-sdk and @openfeature/ofrep-provider', () => {
  it('evaluates flags for each context, with flagd reasons, variants and metadata', async () => {
    await ServerOpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: daemon.url }))
    const client = ServerOpenFeature.getClient()
    const staff = await client.getBooleanDetails('new-checkout', false, {
      targetingKey: 'u1',
      email: 'ann@kanari.dev',
    })
    expect(staff).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH' })
    expect(staff.flagMetadata).toMatchObject({ owner: 'checkout', flagSetId: 'shop' })
    const other = await client.getBooleanDetails('new-checkout', true, {
      targetingKey: 'u2',
      email: 'bob@example.com',
    })
    expect(other).toMatchObject({ value: false, variant: 'off', reason: 'DEFAULT' })
    expect(
      await client.getStringDetails('header-color', '#000', { targetingKey: 'u1' }),
    ).toMatchObject({ value: '#f00', reason: 'STATIC', variant: 'red' })
    expect(await client.getNumberValue('discount-percent', -1, { targetingKey: 'u1' })).toBe(10)
  })

  it('gives the code default for a disabled flag, an unknown flag and a type mismatch', async () => {
    const client = ServerOpenFeature.getClient()
    // On the wire a disabled flag is a success without a value, as OFREP (ADR-0006) and flagd answer
    // it; this published provider (0.1.3) requires a value and reports ERROR/GENERAL. The caller gets
    // its code default either way (docs/flags.md's provider table).
    const disabled = await client.getBooleanDetails('old-banner', true, { targetingKey: 'u1' })
    expect(disabled).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'GENERAL',
      errorMessage: 'The OFREP response does not match the expected format',
    })
    expect(await client.getBooleanValue('old-banner', false, { targetingKey: 'u1' })).toBe(false)
    expect(await ofrep('/old-banner', { context: { targetingKey: 'u1' } })).toMatchObject({
      status: 200,
      body: { key: 'old-banner', reason: 'DISABLED' },
    })
    const missing = await client.getBooleanDetails('no-such-flag', true, { targetingKey: 'u1' })
    expect(missing).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' })
    const mismatch = await client.getNumberDetails('header-color', 7, { targetingKey: 'u1' })
    expect(mismatch).toMatchObject({ value: 7, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' })
  })

  it('serves an edited flag file at once, and keeps the last good one when an edit is broken', async () => {
    const client = ServerOpenFeature.getClient()
    writeFileSync(flagFile, JSON.stringify(flagsV1('green'), null, 2))
    await waitFor(
      async () =>
        (await client.getStringValue('header-color', '#000', { targetingKey: 'u1' })) === '#0f0',
      'the edit to be served',
    )
    const broken = flagsV1('blue') as { flags: Record<string, Record<string, unknown>> }
    ;(broken.flags['header-color'] as Record<string, unknown>).defaultVariant = 'purple'
    ;(broken.flags['discount-percent'] as Record<string, unknown>).state = 'ON'
    writeFileSync(flagFile, JSON.stringify(broken, null, 2))
    const source = await waitFor(
      () => daemon.flags.sources().find((s) => s.problem !== null),
      'the broken edit to be refused',
    )
    expect(source.problems.map((p) => p.path).sort()).toEqual([
      'flags.discount-percent.state',
      'flags.header-color.defaultVariant',
    ])
    expect(source.problems.every((p) => p.line > 1)).toBe(true)
    expect(await client.getStringValue('header-color', '#000', { targetingKey: 'u1' })).toBe('#0f0')
    writeFileSync(flagFile, JSON.stringify(flagsV1('blue'), null, 2))
    await waitFor(
      async () =>
        (await client.getStringValue('header-color', '#000', { targetingKey: 'u1' })) === '#00f',
      'the fixed file to be served',
    )
    expect(daemon.flags.sources()[0]?.problem).toBeNull()
  })
})

describe('OFREP bulk evaluation', () => {
  it('answers 304 for the same flags and context, and a new ETag when either changes', async () => {
    const first = await ofrep('', { context: { targetingKey: 'u1', email: 'a@b.c' } })
    expect(first.status).toBe(200)
    expect(first.etag).toMatch(/^".+"$/)
    const items = (first.body?.flags ?? []) as Record<string, unknown>[]
    expect(items.map((f) => f.key).sort()).toEqual([
      'discount-percent',
      'header-color',
      'new-checkout',
      'old-banner',
    ])
    expect(items.find((f) => f.key === 'old-banner')).toEqual({
      key: 'old-banner',
      reason: 'DISABLED',
      metadata: { flagSetId: 'shop', version: '1' },
    })
    expect(first.body?.eventStreams).toEqual([
      {
        type: 'sse',
        endpoint: { requestUri: `/api/v1/flag-events?since=${daemon.flags.version}` },
        inactivityDelaySec: 120,
      },
    ])
    const again = await ofrep(
      '',
      { context: { email: 'a@b.c', targetingKey: 'u1' } },
      { 'if-none-match': first.etag ?? '' },
    )
    expect(again).toMatchObject({ status: 304, body: undefined })
    const otherContext = await ofrep(
      '',
      { context: { targetingKey: 'u1', email: 'a@kanari.dev' } },
      { 'if-none-match': first.etag ?? '' },
    )
    expect(otherContext.status).toBe(200)
    expect(otherContext.etag).not.toBe(first.etag)
    daemon.flags.setState('discount-percent', 'DISABLED', 'test')
    const otherFlags = await ofrep(
      '',
      { context: { targetingKey: 'u1', email: 'a@b.c' } },
      { 'if-none-match': first.etag ?? '' },
    )
    expect(otherFlags.status).toBe(200)
    expect(otherFlags.etag).not.toBe(first.etag)
    daemon.flags.setState('discount-percent', 'ENABLED', 'test')
  })

  it('answers OFREP errors: 404 for an unknown flag, 400 INVALID_CONTEXT for a bad body, without the token', async () => {
    expect(await ofrep('/nope', { context: {} })).toMatchObject({
      status: 404,
      body: { key: 'nope', errorCode: 'FLAG_NOT_FOUND' },
    })
    expect(await ofrep('/header-color', '{not json')).toMatchObject({
      status: 400,
      body: { errorCode: 'INVALID_CONTEXT' },
    })
    expect(await ofrep('/header-color', { context: [1] })).toMatchObject({
      status: 400,
      body: { key: 'header-color', errorCode: 'INVALID_CONTEXT' },
    })
    expect(await ofrep('', { context: 'x' })).toMatchObject({
      status: 400,
      body: { errorCode: 'INVALID_CONTEXT' },
    })
    expect(await ofrep('/header-color', '')).toMatchObject({
      status: 200,
      body: { key: 'header-color', value: '#00f' },
    })
  })

  it('evaluates a deeply nested context, and refuses one nested past the limit with a clear 400', async () => {
    const nested = (levels: number) => {
      let v: Record<string, unknown> = { leaf: true }
      for (let i = 1; i < levels; i++) v = { a: v }
      return v
    }
    // The context itself is one level: 999 more nest 1000 deep, the limit.
    const deep = { targetingKey: 'u1', email: 'a@kanari.dev', deep: nested(999) }
    const bulk = await ofrep('', { context: deep })
    expect(bulk.status).toBe(200)
    expect(
      ((bulk.body?.flags ?? []) as Record<string, unknown>[]).find((f) => f.key === 'new-checkout'),
    ).toMatchObject({ value: true, reason: 'TARGETING_MATCH' })
    expect(await ofrep('/new-checkout', { context: deep })).toMatchObject({
      status: 200,
      body: { value: true, reason: 'TARGETING_MATCH' },
    })
    // Written as text: this deep, JSON.stringify itself runs out of stack.
    const body = `{"context":{"targetingKey":"u1","deep":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`
    for (const path of ['', '/new-checkout']) {
      const tooDeep = await ofrep(path, body)
      expect(tooDeep).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } })
      expect(String(tooDeep.body?.errorDetails)).toContain('more than 1000')
    }
  })
})

describe('OFREP with @openfeature/web-sdk and @openfeature/ofrep-web-provider', () => {
  it('evaluates the static context in bulk and refreshes when the daemon announces a change over SSE', async () => {
    const g = globalThis as { EventSource?: unknown }
    g.EventSource = EventSource
    const provider = new OFREPWebProvider({
      baseUrl: daemon.url,
      changeDetection: 'sse',
      cacheMode: 'disabled',
      pollInterval: 60_000,
    })
    await WebOpenFeature.setContext({ targetingKey: 'web-user', email: 'web@kanari.dev' })
    // The provider's published types declare `hooks` as optional, which exactOptionalPropertyTypes refuses.
    await WebOpenFeature.setProviderAndWait(provider as unknown as WebProvider)
    const client = WebOpenFeature.getClient()
    expect(client.getBooleanDetails('new-checkout', false)).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'on',
    })
    expect(client.getStringValue('header-color', '#000')).toBe('#00f')
    // docs/flags.md's provider table: the caller's default, reason DISABLED, no error code.
    const disabled = client.getBooleanDetails('old-banner', true)
    expect(disabled).toMatchObject({ value: true, reason: 'DISABLED' })
    expect(disabled.errorCode).toBeUndefined()
    expect(client.getBooleanValue('old-banner', false)).toBe(false)
    const changed: string[][] = []
    client.addHandler(ProviderEvents.ConfigurationChanged, (e) =>
      changed.push(e?.flagsChanged ?? []),
    )
    // No polling for a minute: only the SSE event can bring the change in time.
    daemon.flags.setFlag(
      'header-color',
      { state: 'ENABLED', variants: { red: '#f00', green: '#0f0' }, defaultVariant: 'red' },
      'test',
    )
    await waitFor(
      () => client.getStringValue('header-color', '#000') === '#f00',
      'the web provider to refetch after the SSE event',
      10_000,
    )
    expect(changed.flat()).toContain('header-color')
    // a context change is a new evaluation, not a cached one
    await WebOpenFeature.setContext({ targetingKey: 'web-user', email: 'web@example.com' })
    expect(client.getBooleanDetails('new-checkout', true)).toMatchObject({
      value: false,
      reason: 'DEFAULT',
    })
  })
})

describe('the flag routes in the OpenAPI document', () => {
  it('lists them, with the token required only for changes', async () => {
    const res = await request(`${daemon.url}/api/v1/openapi.json`)
    const doc = (await res.body.json()) as {
      paths: Record<string, Record<string, { security?: unknown }>>
    }
    const routes = Object.entries(doc.paths)
      .filter(([path]) => /\/(ofrep|flags?\b|flag-)/.test(path))
      .flatMap(([path, ops]) =>
        Object.entries(ops).map(
          ([m, op]) => `${m.toUpperCase()} ${path}${op.security === undefined ? '' : ' (token)'}`,
        ),
      )
    expect(routes.sort()).toEqual(
      [
        'POST /ofrep/v1/evaluate/flags/{key}',
        'POST /ofrep/v1/evaluate/flags',
        'GET /api/v1/flag-events',
        'POST /api/v1/flag-outcomes',
        'GET /api/v1/flags',
        'GET /api/v1/flags/{key}',
        'POST /api/v1/flags/{key}/evaluate',
        'GET /api/v1/flag-document',
        'GET /api/v1/flag-audit',
        'GET /api/v1/flag-sources',
        'PUT /api/v1/flag-sources (token)',
        'DELETE /api/v1/flag-sources (token)',
        'PUT /api/v1/flags/{key} (token)',
        'POST /api/v1/flags/{key}/enable (token)',
        'POST /api/v1/flags/{key}/disable (token)',
        'DELETE /api/v1/flags/{key} (token)',
      ].sort(),
    )
  })
})

describe('changing flags through the API', () => {
  it('needs the token, refuses a bad flag with every problem, and records who changed what', async () => {
    const put = (
      token?: string,
      flag: unknown = { state: 'ENABLED', variants: { a: 1 }, defaultVariant: 'a' },
    ) =>
      request(`${daemon.url}/api/v1/flags/limit`, {
        method: 'PUT',
        headers: {
          'content-type': 'application/json',
          'x-kanari-actor': 'alice',
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify({ flag }),
      })
    expect((await put()).statusCode).toBe(401)
    const bad = await put(daemon.token, {
      state: 'MAYBE',
      variants: { a: 1, b: 'x' },
      defaultVariant: 'c',
    })
    expect(bad.statusCode).toBe(400)
    const problems = (
      (await bad.body.json()) as { error: { details: { path: string }[] } }
    ).error.details.map((p) => p.path)
    expect(problems.sort()).toEqual([
      'flags.limit.defaultVariant',
      'flags.limit.state',
      'flags.limit.variants.b',
    ])
    expect(daemon.flags.list().some((f) => f.key === 'limit')).toBe(false)
    expect((await put(daemon.token)).statusCode).toBe(200)
    const audit = await request(`${daemon.url}/api/v1/flag-audit?key=limit`)
    const entries = (
      (await audit.body.json()) as {
        items: { actor: string; action: string; before: unknown; after: unknown }[]
      }
    ).items
    expect(entries).toEqual([
      expect.objectContaining({
        actor: 'alice',
        action: 'set',
        before: null,
        after: { state: 'ENABLED', variants: { a: 1 }, defaultVariant: 'a' },
      }),
    ])
  })
})
