/**
 * Kanari's proxy against real demo-app processes over 127.0.0.1: weighted split, stickiness, header
 * and cookie routes, mirroring, hop-by-hop headers, failures, WebSocket upgrades, live updates, drain.
 */
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
} from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Pool, request } from 'undici'
import { ProxyMetrics } from '../../src/local/metrics/index.js'
import {
  MIRROR_MAX_BODY_BYTES,
  startProxy,
  type ProxyRoutes,
  type ProxyServer,
} from '../../src/local/proxy/index.js'
import { freePort, startDemoApp, stopAll, waitFor, type DemoApp } from '../helpers/processes.js'

let blue: DemoApp
let green: DemoApp
let proxy: ProxyServer | undefined

beforeAll(async () => {
  ;[blue, green] = await Promise.all([
    startDemoApp({ COLOR: 'blue' }),
    startDemoApp({ COLOR: 'green' }),
  ])
})
afterAll(stopAll)
afterEach(async () => {
  await proxy?.close({ drainMs: 100 })
  proxy = undefined
})

function routes(canaryWeight: number, extra: Partial<ProxyRoutes> = {}): ProxyRoutes {
  return {
    backends: [
      {
        id: 'rev-1',
        revision: 1,
        role: 'stable',
        endpoints: [{ host: '127.0.0.1', port: blue.port }],
      },
      {
        id: 'rev-2',
        revision: 2,
        role: 'canary',
        endpoints: [{ host: '127.0.0.1', port: green.port }],
      },
    ],
    weights: [
      { backend: 'rev-1', weight: 100 - canaryWeight },
      { backend: 'rev-2', weight: canaryWeight },
    ],
    headerRoutes: [],
    ...extra,
  }
}

async function colors(
  port: number,
  n: number,
  headers: Record<string, string> = {},
  concurrency = 20,
): Promise<Record<string, number>> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency })
  const counts: Record<string, number> = {}
  let sent = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < n) {
        sent++
        const res = await pool.request({ path: '/color', method: 'GET', headers })
        const body = (await res.body.json()) as { color?: string }
        const key = res.statusCode === 200 ? (body.color ?? '?') : `status-${res.statusCode}`
        counts[key] = (counts[key] ?? 0) + 1
      }
    }),
  )
  await pool.close()
  return counts
}

describe('proxy', () => {
  it('splits 2,000 requests close to the set weight (within 5 binomial standard deviations)', async () => {
    proxy = await startProxy({ port: 0, routes: routes(20), name: 'split' })
    const counts = await colors(proxy.port, 2000)
    const sigma = Math.sqrt(2000 * 0.2 * 0.8)
    expect((counts.blue ?? 0) + (counts.green ?? 0)).toBe(2000)
    expect(Math.abs((counts.green ?? 0) - 400)).toBeLessThanOrEqual(5 * sigma)
    expect(proxy.traffic.totals('rev-2').requests).toBe(counts.green)
  })

  it('keeps a user on one version with a sticky cookie, and spreads users across versions', async () => {
    proxy = await startProxy({
      port: 0,
      routes: routes(50, { sticky: { cookie: 'user' } }),
      name: 'sticky',
    })
    const seen = new Set<string>()
    for (let user = 0; user < 20; user++) {
      const counts = await colors(proxy.port, 10, { cookie: `theme=dark; user=u${user}` }, 2)
      expect(Object.keys(counts)).toHaveLength(1)
      seen.add(Object.keys(counts)[0] ?? '')
    }
    expect([...seen].sort()).toEqual(['blue', 'green'])
  })

  it('routes matching headers and cookies to the canary before weights', async () => {
    const match = [
      { headerName: 'x-canary', headerValue: { exact: 'true' } },
      { cookieName: 'beta', cookieValue: { prefix: 'on' } },
    ]
    proxy = await startProxy({
      port: 0,
      routes: routes(0, { headerRoutes: [{ name: 'beta', match, backend: 'rev-2' }] }),
      name: 'header',
    })
    expect(await colors(proxy.port, 50, { 'x-canary': 'true' })).toEqual({ green: 50 })
    expect(await colors(proxy.port, 50, { cookie: 'beta=on-please' })).toEqual({ green: 50 })
    expect(await colors(proxy.port, 50, { 'x-canary': 'false' })).toEqual({ blue: 50 })
  })

  it('mirrors requests to the canary while clients only ever see stable', async () => {
    const before = (await (await request(`http://127.0.0.1:${green.port}/stats`)).body.json()) as {
      served: number
    }
    proxy = await startProxy({
      port: 0,
      routes: routes(0, {
        mirror: { name: 'mirror', backend: 'rev-2', percentage: 100, match: [] },
      }),
      name: 'mirror',
    })
    expect(await colors(proxy.port, 100, {}, 5)).toEqual({ blue: 100 })
    const after = await waitFor(async () => {
      const s = (await (await request(`http://127.0.0.1:${green.port}/stats`)).body.json()) as {
        served: number
      }
      return s.served - before.served >= 101 ? s : undefined
    }, 'mirrored requests to reach green')
    expect(after.served - before.served).toBeGreaterThanOrEqual(101)
    expect(proxy.traffic.totals('rev-2').requests).toBe(0)
    expect(proxy.traffic.mirrors('rev-2').mirrored).toBe(100)
    // The canary's answers to the copies are what analysis measures it on (users never saw them).
    const p = proxy
    const shadow = await waitFor(() => {
      const t = p.traffic.shadowTotals('rev-2')
      return t.requests === 100 ? t : undefined
    }, 'answers to all 100 mirrored requests')
    expect(shadow.statusClasses['2xx']).toBe(100)
    const now = Date.now()
    expect(p.traffic.window('rev-2', now - 60_000, now + 1000).requests).toBe(100)
    expect(p.traffic.window('rev-1', now - 60_000, now + 1000).requests).toBe(100)
    expect(
      await new ProxyMetrics({
        rollout: 'mirror',
        traffic: p.traffic,
        routes: () => p.routes,
      }).text(),
    ).toMatch(
      /kanari_proxy_mirror_responses_total\{rollout="mirror",revision="2",role="canary",code_class="2xx"\} 100/,
    )
  })

  it('mirrors requests with bodies (fixed-length and chunked) byte for byte; oversized bodies are not mirrored', async () => {
    // Two recording servers: "stable" echoes the body back, "shadow" keeps what the mirror sent it.
    const seen: { body: string; headers: IncomingMessage['headers'] }[] = []
    const record =
      (echo: boolean) =>
      (req: IncomingMessage, res: import('node:http').ServerResponse): void => {
        const parts: Buffer[] = []
        req.on('data', (d: Buffer) => parts.push(d))
        req.on('end', () => {
          const body = Buffer.concat(parts).toString()
          if (!echo) seen.push({ body, headers: req.headers })
          res.end(echo ? `stable:${body.length}:${body.slice(0, 40)}` : 'shadow')
        })
      }
    const stable = createHttpServer(record(true))
    const shadow = createHttpServer(record(false))
    await Promise.all(
      [stable, shadow].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))),
    )
    const portOf = (s: Server): number => (s.address() as { port: number }).port
    proxy = await startProxy({
      port: 0,
      routes: {
        backends: [
          { id: 'rev-1', endpoints: [{ host: '127.0.0.1', port: portOf(stable) }] },
          { id: 'rev-2', endpoints: [{ host: '127.0.0.1', port: portOf(shadow) }] },
        ],
        weights: [{ backend: 'rev-1', weight: 100 }],
        headerRoutes: [],
        mirror: { name: 'mirror', backend: 'rev-2', percentage: 100, match: [] },
      },
      name: 'mirror-body',
    })
    const base = `http://127.0.0.1:${proxy.port}`
    const fixed = JSON.stringify({ order: 42, items: ['a', 'b'] })
    const r1 = await request(`${base}/orders`, { method: 'POST', body: fixed })
    expect(await r1.body.text()).toBe(`stable:${fixed.length}:${fixed}`)

    // A chunked body (no content-length) streamed in three parts.
    const parts = ['first-', 'second-', 'third']
    async function* chunked(): AsyncGenerator<Buffer> {
      for (const p of parts) {
        yield Buffer.from(p)
        await new Promise((r) => setTimeout(r, 5))
      }
    }
    const r2 = await request(`${base}/stream`, { method: 'PUT', body: Readable.from(chunked()) })
    expect(await r2.body.text()).toBe(`stable:${parts.join('').length}:${parts.join('')}`)

    // Too large to copy: the client still gets its answer in full, the mirror is skipped and counted.
    const big = 'x'.repeat(MIRROR_MAX_BODY_BYTES + 1)
    const r3 = await request(`${base}/upload`, { method: 'POST', body: big })
    expect(await r3.body.text()).toBe(`stable:${big.length}:${big.slice(0, 40)}`)

    await waitFor(
      () => Promise.resolve(seen.length >= 2 ? true : undefined),
      'mirrored bodies to arrive',
    )
    await new Promise((r) => setTimeout(r, 200))
    expect(seen.map((s) => s.body)).toEqual([fixed, parts.join('')])
    expect(seen.every((s) => s.headers['x-kanari-mirror'] === '1')).toBe(true)
    expect(seen[1]?.headers['content-length']).toBe(String(parts.join('').length))
    expect(proxy.traffic.mirrors('rev-2')).toEqual({ mirrored: 2, dropped: 1 })
    expect(proxy.traffic.totals('rev-2').requests).toBe(0)
    expect(proxy.traffic.totals('rev-1').requests).toBe(3)
    await Promise.all([stable, shadow].map((s) => new Promise<void>((r) => s.close(() => r()))))
  })

  it('strips hop-by-hop headers, sets x-forwarded-*, and tags the backend', async () => {
    const echo: Server = createHttpServer((req, res) => res.end(JSON.stringify(req.headers)))
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r))
    const port = (echo.address() as { port: number }).port
    proxy = await startProxy({
      port: 0,
      routes: {
        backends: [{ id: 'rev-1', endpoints: [{ host: '127.0.0.1', port }] }],
        weights: [{ backend: 'rev-1', weight: 100 }],
        headerRoutes: [],
      },
      name: 'echo',
    })
    const p = proxy
    const { headers, body } = await new Promise<{ headers: Record<string, unknown>; body: string }>(
      (resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: p.port,
            path: '/x',
            headers: {
              connection: 'keep-alive, x-secret',
              'x-secret': '1',
              'keep-alive': 'timeout=5',
              'x-kept': 'yes',
            },
          },
          (res) => {
            let text = ''
            res.on('data', (d: Buffer) => (text += d.toString()))
            res.on('end', () => resolve({ headers: res.headers, body: text }))
          },
        )
        req.on('error', reject)
        req.end()
      },
    )
    const seen = JSON.parse(body) as Record<string, string>
    expect(headers['x-kanari-backend']).toBe('rev-1')
    expect(seen['x-kept']).toBe('yes')
    expect(seen['x-secret']).toBeUndefined()
    expect(seen['keep-alive']).toBeUndefined()
    expect(seen['x-forwarded-for']).toBe('127.0.0.1')
    expect(seen['x-forwarded-proto']).toBe('http')
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${p.port}`)
    await new Promise<void>((r) => echo.close(() => r()))
  })

  it("answers 502 when nothing listens and 503 with no ready endpoint, counted as the proxy's, not the app's", async () => {
    const dead = await freePort()
    proxy = await startProxy({
      port: 0,
      routes: {
        backends: [
          {
            id: 'rev-9',
            revision: 9,
            role: 'canary',
            endpoints: [{ host: '127.0.0.1', port: dead }],
          },
          { id: 'rev-10', revision: 10, role: 'canary', endpoints: [] },
        ],
        weights: [
          { backend: 'rev-9', weight: 100 },
          { backend: 'rev-10', weight: 0 },
        ],
        headerRoutes: [
          {
            name: 'empty',
            match: [{ headerName: 'x-empty', headerValue: { exact: '1' } }],
            backend: 'rev-10',
          },
        ],
      },
      name: 'dead',
    })
    const refused = await request(`http://127.0.0.1:${proxy.port}/color`)
    expect(refused.statusCode).toBe(502)
    expect(await refused.body.text()).toMatch(/nothing listens for rev-9 .*connection refused/)
    const empty = await request(`http://127.0.0.1:${proxy.port}/color`, {
      headers: { 'x-empty': '1' },
    })
    expect(empty.statusCode).toBe(503)
    expect(await empty.body.text()).toMatch(/rev-10 has no ready endpoint/)
    // neither is an answer of the app: the analysis windows and user totals do not see them
    expect(proxy.traffic.totals('rev-9').requests).toBe(0)
    expect(proxy.traffic.totals('rev-10').requests).toBe(0)
    expect(proxy.traffic.window('rev-9', Date.now() - 60_000, Date.now() + 1000).requests).toBe(0)
    expect(proxy.traffic.proxyAnswers('rev-9')).toMatchObject({ 'connection-refused': 1 })
    expect(proxy.traffic.proxyAnswers('rev-10')).toMatchObject({ 'no-ready-endpoint': 1 })
    const routed = proxy
    expect(
      await new ProxyMetrics({
        rollout: 'dead',
        traffic: routed.traffic,
        routes: () => routed.routes,
      }).text(),
    ).toContain(
      'kanari_proxy_answers_total{rollout="dead",revision="9",role="canary",reason="connection-refused"} 1',
    )
  })

  it('counts an app that accepts a request and drops it as a failed request of the app', async () => {
    const rude: Server = createHttpServer((req) => req.socket.destroy())
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', () => r()))
    const port = (rude.address() as AddressInfo).port
    proxy = await startProxy({
      port: 0,
      routes: {
        backends: [{ id: 'rev-11', endpoints: [{ host: '127.0.0.1', port }] }],
        weights: [{ backend: 'rev-11', weight: 100 }],
        headerRoutes: [],
      },
      name: 'rude',
    })
    const res = await request(`http://127.0.0.1:${proxy.port}/color`)
    expect(res.statusCode).toBe(502)
    expect(await res.body.text()).toMatch(/no answer from rev-11/)
    // With a body too: the failed upload is answered, not left hanging.
    for (const body of ['{"order":1}', Readable.from([Buffer.alloc(256 * 1024, 'x')])]) {
      const post = await request(`http://127.0.0.1:${proxy.port}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      }).then(
        async (r) => ({ status: r.statusCode, text: await r.body.text() }),
        (err: unknown) => ({ status: 0, text: (err as Error).message }),
      )
      expect(post.status === 502 || /socket|closed|reset/i.test(post.text), post.text).toBe(true)
      expect(post.text).not.toMatch(/timeout/i)
    }
    expect(proxy.traffic.totals('rev-11')).toMatchObject({
      requests: 3,
      errors: 3,
      statusClasses: { failed: 3 },
    })
    expect(proxy.traffic.proxyAnswers('rev-11')).toBeUndefined()
    await new Promise<void>((r) => rude.close(() => r()))
  })

  it('passes WebSocket upgrades through', async () => {
    const ws: Server = createHttpServer()
    const upstreamSockets: Socket[] = []
    ws.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      upstreamSockets.push(socket)
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nx-path: ${req.url ?? ''}\r\n\r\n`,
      )
      socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`))
    })
    await new Promise<void>((r) => ws.listen(0, '127.0.0.1', r))
    const port = (ws.address() as { port: number }).port
    const p = await startProxy({
      port: 0,
      routes: {
        backends: [{ id: 'rev-1', endpoints: [{ host: '127.0.0.1', port }] }],
        weights: [{ backend: 'rev-1', weight: 100 }],
        headerRoutes: [],
      },
      name: 'ws',
    })
    proxy = p
    const chunks: string[] = []
    await new Promise<void>((resolve, reject) => {
      const sock = connect(p.port, '127.0.0.1', () =>
        sock.write(
          'GET /chat HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n',
        ),
      )
      sock.on('data', (d: Buffer) => {
        chunks.push(d.toString())
        if (!d.toString().includes('echo:')) sock.write('hello')
        else {
          sock.destroy()
          resolve()
        }
      })
      sock.on('error', reject)
    })
    expect(chunks[0]).toMatch(/^HTTP\/1.1 101/)
    expect(chunks[0]).toMatch(/x-path: \/chat/)
    expect(chunks.at(-1)).toBe('echo:hello')
    await p.close({ drainMs: 100 })
    proxy = undefined
    for (const socket of upstreamSockets) socket.destroy()
    await new Promise<void>((r) => ws.close(() => r()))
  })

  it('loses no request while routes change under load', async () => {
    proxy = await startProxy({ port: 0, routes: routes(0), name: 'update' })
    const p = proxy
    let flips = 0
    const flipper = setInterval(() => p.update(routes(flips++ % 2 === 0 ? 100 : 0)), 5)
    const counts = await colors(p.port, 600)
    clearInterval(flipper)
    expect((counts.blue ?? 0) + (counts.green ?? 0)).toBe(600)
    expect(flips).toBeGreaterThan(3)
  })

  it('drains an in-flight request on close', async () => {
    const slow = await startDemoApp({ COLOR: 'slow', LATENCY_MS: '600' })
    proxy = await startProxy({
      port: 0,
      routes: {
        backends: [{ id: 'rev-1', endpoints: [{ host: '127.0.0.1', port: slow.port }] }],
        weights: [{ backend: 'rev-1', weight: 100 }],
        headerRoutes: [],
      },
      name: 'drain',
    })
    const pending = request(`http://127.0.0.1:${proxy.port}/color`)
    await new Promise((r) => setTimeout(r, 100))
    const closing = proxy.close({ drainMs: 5000 })
    proxy = undefined
    const res = await pending
    expect(res.statusCode).toBe(200)
    expect(((await res.body.json()) as { color: string }).color).toBe('slow')
    await closing
  })

  it('exposes per-backend counters in Prometheus text format', async () => {
    proxy = await startProxy({ port: 0, routes: routes(50), name: 'prom' })
    const counts = await colors(proxy.port, 200)
    const served = proxy
    const text = await new ProxyMetrics({
      rollout: 'checkout',
      traffic: served.traffic,
      routes: () => served.routes,
    }).text()
    const value = (metric: string, labels: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(labels))
      return Number(line?.split(' ').at(-1))
    }
    expect(
      value('kanari_proxy_requests_total', 'revision="2",role="canary",code_class="2xx"'),
    ).toBe(counts.green)
    expect(value('kanari_proxy_request_duration_seconds_count', 'revision="1"')).toBe(counts.blue)
    expect(
      value('kanari_proxy_request_duration_seconds_bucket', 'revision="1",role="stable",le="+Inf"'),
    ).toBe(counts.blue)
    expect(text).toMatch(/# TYPE kanari_proxy_request_duration_seconds histogram/)
  })
})
