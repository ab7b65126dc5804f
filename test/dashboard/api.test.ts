/**
 * The dashboard's side of the daemon over real HTTP on loopback: the page and its headers, the SSE
 * stream (events with their stored ids, samples, resuming after Last-Event-ID), sign-in codes that
 * work once, and a session cookie that acts only from the dashboard's own origin.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../src/controller/ports.js'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { Daemon } from '../../src/local/daemon/daemon.js'
import type { RolloutSample } from '../../src/local/daemon/dashboard/wire.js'
import { demoRollout } from '../helpers/manifests.js'
import { waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-dashboard-api-'))
let daemon: Daemon

beforeAll(async () => {
  daemon = await Daemon.start({ stateDir, apiPort: 0, tickMs: 200, log: () => undefined })
}, 60_000)

afterAll(async () => {
  await daemon.stop({ keepReplicas: false })
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

interface Message {
  event: string
  id?: number
  data: unknown
}

/** Reads an SSE response into messages until `until` is satisfied (or the deadline passes). */
async function readStream(
  headers: Record<string, string>,
  until: (messages: Message[]) => boolean,
  timeoutMs = 20_000,
): Promise<Message[]> {
  const abort = new AbortController()
  const res = await fetch(`${daemon.url}/api/v1/dashboard/stream`, {
    headers,
    signal: abort.signal,
  })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/event-stream')
  const reader = res.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined
  if (reader === undefined) throw new Error('no body')
  const messages: Message[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  const deadline = Date.now() + timeoutMs
  try {
    while (!until(messages)) {
      if (Date.now() > deadline)
        throw new Error(`stream: gave up after ${messages.length} messages`)
      const { value, done } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':') && l.includes(': '))
            .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
        ) as Record<string, string>
        if (fields.event === undefined || fields.data === undefined) continue
        messages.push({
          event: fields.event,
          ...(fields.id === undefined ? {} : { id: Number(fields.id) }),
          data: JSON.parse(fields.data),
        })
      }
    }
  } finally {
    abort.abort()
  }
  return messages
}

async function post(path: string, headers: Record<string, string>, body: unknown = {}) {
  const res = await request(`${daemon.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  return { status: res.statusCode, headers: res.headers, body: await res.body.json() }
}

describe('dashboard routes', () => {
  it('serves the page with headers that keep it to its own scripts', async () => {
    const res = await request(`${daemon.url}/`)
    const html = await res.body.text()
    expect(res.statusCode).toBe(200)
    expect(html).toContain('<div id="root">')
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'")
    expect(res.headers['x-frame-options']).toBe('DENY')
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    if (script === undefined) throw new Error('the page names no script')
    const js = await request(`${daemon.url}${script}`)
    expect(js.statusCode).toBe(200)
    expect(js.headers['content-type']).toContain('text/javascript')
    await js.body.dump()
    // Nothing outside the built files is served, however the path is spelled.
    const escape = await request(`${daemon.url}/assets/..%2f..%2fpackage.json`)
    expect(escape.statusCode).toBe(404)
    await escape.body.dump()
    // A foreign Host (DNS rebinding) is refused for the page too.
    const foreign = await request(`${daemon.url}/`, { headers: { host: 'evil.example:80' } })
    expect(foreign.statusCode).toBe(403)
    await foreign.body.dump()
  })

  it('streams stored events with their ids and a sample of each rollout every second', async () => {
    const stream = readStream({}, (m) => {
      const sampled = m.some(
        (x) => x.event === 'sample' && (x.data as RolloutSample).rollout === 'web',
      )
      const initialized = m.some(
        (x) => x.event === 'rollout-event' && (x.data as StoredEvent).reason === 'Initialized',
      )
      return sampled && initialized
    })
    const put = await request(`${daemon.url}/api/v1/rollouts`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${daemon.token}` },
      body: JSON.stringify({
        files: [{ name: 'web.yaml', text: demoRollout('web') }],
        baseDir: stateDir,
      }),
    })
    expect(put.statusCode).toBe(200)
    await put.body.dump()
    const messages = await stream
    const events = messages.filter((m) => m.event === 'rollout-event')
    const stored = daemon.store.events.list('web')
    // Each event arrives once, with the id the store gave it, in order.
    expect(events.map((m) => m.id)).toEqual(stored.slice(0, events.length).map((e) => e.id))
    expect(events.map((m) => (m.data as StoredEvent).reason)).toEqual(
      stored.slice(0, events.length).map((e) => e.reason),
    )
    const sample = messages.find((m) => m.event === 'sample')?.data as RolloutSample
    expect(sample.summary.name).toBe('web')
    expect(sample.summary.stepCount).toBe(2)
    expect(sample.windowSeconds).toBeGreaterThan(0)
  }, 60_000)

  it('resumes after Last-Event-ID with the events missed', async () => {
    const all = daemon.store.events.list('web')
    expect(all.length).toBeGreaterThan(1)
    const from = all[0]?.id ?? 0
    const messages = await readStream(
      { 'last-event-id': String(from) },
      (m) => m.filter((x) => x.event === 'rollout-event').length >= all.length - 1,
    )
    const ids = messages.filter((m) => m.event === 'rollout-event').map((m) => m.id)
    expect(ids.slice(0, all.length - 1)).toEqual(all.slice(1).map((e) => e.id))
    const bad = await request(`${daemon.url}/api/v1/dashboard/stream`, {
      headers: { 'last-event-id': 'yesterday' },
    })
    expect(bad.statusCode).toBe(400)
    await bad.body.dump()
  }, 30_000)

  it('lists rollouts with their attention and keeps samples for charts opened later', async () => {
    await waitFor(async () => {
      const r = await request(`${daemon.url}/api/v1/dashboard/rollouts/web/samples`)
      const body = (await r.body.json()) as { items: RolloutSample[] }
      return body.items.length >= 2
    }, 'two samples of web')
    const list = await request(`${daemon.url}/api/v1/dashboard/rollouts`)
    const rows = ((await list.body.json()) as { items: { name: string; attentionLabel: string }[] })
      .items
    expect(rows.map((r) => r.name)).toEqual(['web'])
    expect(['healthy', 'progressing']).toContain(rows[0]?.attentionLabel)
    const missing = await request(`${daemon.url}/api/v1/dashboard/rollouts/nope/samples`)
    expect(missing.statusCode).toBe(404)
    await missing.body.dump()
  })

  it('trades a sign-in code, once, for a session that acts only from its own origin', async () => {
    // Minting a code needs the token.
    expect((await post('/api/v1/dashboard/login-codes', {})).status).toBe(401)
    const minted = await post('/api/v1/dashboard/login-codes', {
      authorization: `Bearer ${daemon.token}`,
    })
    expect(minted.status).toBe(200)
    const { path } = minted.body as { path: string }
    expect(path).not.toContain(daemon.token)
    const login = await request(`${daemon.url}${path}`)
    expect(login.statusCode).toBe(303)
    expect(login.headers.location).toBe('/')
    await login.body.dump()
    const setCookie = String(login.headers['set-cookie'])
    expect(setCookie).toMatch(/HttpOnly/)
    expect(setCookie).toMatch(/SameSite=Strict/)
    const cookie = setCookie.split(';')[0] ?? ''
    const again = await request(`${daemon.url}${path}`)
    expect(again.statusCode).toBe(401)
    await again.body.dump()

    const session = await request(`${daemon.url}/api/v1/dashboard/session`, {
      headers: { cookie },
    })
    expect(await session.body.json()).toMatchObject({ canAct: true })

    const origin = daemon.url
    const host = new URL(daemon.url).host
    const pause = (headers: Record<string, string>) =>
      post('/api/v1/rollouts/web/pause', { host, ...headers })
    // The cookie alone, a foreign origin, or no marker header: refused, nothing changes.
    for (const headers of [
      { cookie },
      { cookie, 'x-kanari-dashboard': '1', origin: 'http://127.0.0.1:1' },
      { cookie, 'x-kanari-dashboard': '1', origin: 'http://evil.example' },
      { cookie, origin },
      { 'x-kanari-dashboard': '1', origin },
      { cookie: 'kanari_session=forged', 'x-kanari-dashboard': '1', origin },
    ]) {
      const res = await pause(headers)
      expect(res.status, JSON.stringify(headers)).toBe(401)
    }
    // A release in flight, so that pausing means something.
    const green = await request(`${daemon.url}/api/v1/rollouts`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${daemon.token}` },
      body: JSON.stringify({
        files: [{ name: 'web.yaml', text: demoRollout('web', { env: { COLOR: 'green' } }) }],
        baseDir: stateDir,
      }),
    })
    expect(green.statusCode).toBe(200)
    await green.body.dump()
    await waitFor(
      () => daemon.controller('web').status.canaryRevision !== null,
      'the green canary to start',
      30_000,
    )
    const before = await request(`${daemon.url}/api/v1/rollouts/web`)
    expect(((await before.body.json()) as RolloutView).status.userPaused).toBe(false)
    // The dashboard's own call: cookie, its origin and its marker.
    const ok = await pause({ cookie, 'x-kanari-dashboard': '1', origin })
    expect(ok.status).toBe(200)
    expect((ok.body as RolloutView).status.userPaused).toBe(true)
    await post('/api/v1/rollouts/web/resume', { authorization: `Bearer ${daemon.token}` })

    // Signing out ends the session for good.
    const out = await request(`${daemon.url}/api/v1/dashboard/session`, {
      method: 'DELETE',
      headers: { cookie, host, origin, 'x-kanari-dashboard': '1' },
    })
    expect(out.statusCode).toBe(200)
    await out.body.dump()
    expect((await pause({ cookie, 'x-kanari-dashboard': '1', origin })).status).toBe(401)
  }, 30_000)
})
