/**
 * The web provider against the MetricProvider contract, with a real HTTP server on 127.0.0.1 in the
 * role of the user's endpoint: JSON with the value, null, NaN, a server that is down, one that never
 * answers, an answer that is not JSON, and a JSONPath matching several values. Then POST, headers,
 * a JSON body and auth as the server sees them.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MetricPlan } from '../../src/analysis/types.js'
import { runMetricProviderContract } from '../../src/controller/test-utils/metric-provider-contract.js'
import { errorRateMetric } from '../../src/engine/test-utils/plans.js'
import { Tick } from '../../src/engine/tick.js'
import { freePort } from '../../src/local/free-port.js'
import { WebProvider } from '../../src/providers/web.js'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}
const seen: Seen[] = []
const ANSWERS: Record<string, { status: number; type: string; body: string } | 'hang'> = {
  '/data': {
    status: 200,
    type: 'application/json',
    body: '{"checkout":{"errorRate":0.25,"window":"1m"}}',
  },
  '/no-data': { status: 200, type: 'application/json', body: '{"checkout":{"errorRate":null}}' },
  '/nan': { status: 200, type: 'application/json', body: '{"checkout":{"errorRate":"NaN"}}' },
  '/timeout': 'hang',
  '/malformed': { status: 200, type: 'text/html', body: '<html><body>Sign in</body></html>' },
  '/vector': {
    status: 200,
    type: 'application/json',
    body: '{"checkout":[{"errorRate":0.1},{"errorRate":0.3}]}',
  },
  '/broken': { status: 503, type: 'text/plain', body: 'upstream unavailable' },
}

let server: Server
let base: string
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      })
      const answer = ANSWERS[(req.url ?? '').replace(/\?.*$/, '')]
      if (answer === 'hang') return
      if (answer === undefined) return void res.writeHead(404).end()
      res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const a = server.address()
  base = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

function metric(
  url: string,
  more: Partial<Extract<MetricPlan['provider'], { kind: 'web' }>> = {},
): MetricPlan {
  return errorRateMetric({
    name: 'checkout-errors',
    provider: {
      kind: 'web',
      url,
      method: 'GET',
      headers: {},
      jsonPath: '$.checkout.errorRate',
      timeoutSeconds: 1,
      ...more,
    },
  })
}

runMetricProviderContract(
  'web (a real HTTP server)',
  () =>
    Promise.resolve({
      provider: new WebProvider(),
      async arrange(scenario) {
        const url =
          scenario === 'failure'
            ? `http://127.0.0.1:${await freePort()}/data`
            : `${base}/${scenario}`
        const m = metric(url, scenario === 'vector' ? { jsonPath: '$.checkout[*].errorRate' } : {})
        const now = Date.now()
        return {
          metric: m,
          request: {
            runId: 'contract',
            metric: m.name,
            provider: m.provider,
            from: now - 10_000,
            to: now,
          },
          context: { traffic: Tick.stableOnly(1, 2), now },
        }
      },
      close: () => Promise.resolve(),
    }),
  ['timeout', 'malformed', 'vector'],
)

describe('web provider', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kanari-web-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const context = { traffic: Tick.stableOnly(1, 2), now: Date.now() }
  const measure = (m: MetricPlan) =>
    new WebProvider().measure(
      { runId: 'r', metric: m.name, provider: m.provider, from: 0, to: Date.now() },
      context,
    )

  it('posts the body with its headers and auth, and fills the version measured', async () => {
    writeFileSync(join(dir, 'token'), 'file-token-123\n')
    seen.length = 0
    const answer = await measure(
      metric(`${base}/data?revision={{ revision }}`, {
        method: 'POST',
        headers: { 'X-Role': '{{ role }}', 'content-type': 'application/json' },
        body: '{"rollout":"shop","revision":{{ revision }}}',
        auth: { kind: 'bearer', token: { file: join(dir, 'token') } },
      }),
    )
    expect(answer).toMatchObject({ value: 0.25 })
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/data?revision=2',
      body: '{"rollout":"shop","revision":2}',
    })
    expect(seen[0]?.headers).toMatchObject({
      'x-role': 'canary',
      'content-type': 'application/json',
      authorization: 'Bearer file-token-123',
    })
  })

  it('sends basic auth with the password from the environment, and never shows it', async () => {
    process.env.KANARI_TEST_WEB_PASSWORD = 's3cret-pw'
    seen.length = 0
    await measure(
      metric(`${base}/data`, {
        auth: { kind: 'basic', username: 'kanari', password: { env: 'KANARI_TEST_WEB_PASSWORD' } },
      }),
    )
    expect(seen[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('kanari:s3cret-pw').toString('base64')}`,
    )
    delete process.env.KANARI_TEST_WEB_PASSWORD
    const missing = await measure(
      metric(`${base}/data`, {
        auth: { kind: 'basic', username: 'kanari', password: { env: 'KANARI_TEST_WEB_PASSWORD' } },
      }),
    )
    expect(missing.error).toMatch(/KANARI_TEST_WEB_PASSWORD is not set in the environment/)
  })

  it('reports an HTTP error with its status and the start of the body', async () => {
    const answer = await measure(metric(`${base}/broken`))
    expect(answer.error).toBe(`GET ${base}/broken answered HTTP 503: upstream unavailable`)
  })

  it("accepts Argo Rollouts' braced JSONPath and booleans as 1 / 0", async () => {
    ANSWERS['/flag'] = { status: 200, type: 'application/json', body: '{"data":{"ok":true}}' }
    const answer = await measure(metric(`${base}/flag`, { jsonPath: '{$.data.ok}' }))
    expect(answer).toMatchObject({ value: 1 })
  })
})
