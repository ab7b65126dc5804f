/**
 * `kanari loadtest` as a process against a real receiver on 127.0.0.1: it sends at the rate asked,
 * for the time asked, never more than --concurrency at once, with the method, headers and body
 * given; it counts answers by status and why none came; it stops by itself, or at Ctrl-C with its
 * summary; it refuses other machines and bad flags with exit 2 before sending anything, and says
 * so when nothing answered (exit 6).
 */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { LoadtestReport } from '../../src/cli/actions/loadtest.js'
import { freePort } from '../../src/local/free-port.js'
import { HookReceiver } from '../../src/webhooks/test-utils/hook-receiver.js'
import { runKanari } from '../helpers/cli.js'
import { KANARI_BIN, waitFor } from '../helpers/processes.js'

let receiver: HookReceiver
beforeAll(async () => {
  receiver = await HookReceiver.start()
})
afterAll(() => receiver.close())
beforeEach(() => {
  receiver.calls.length = 0
  receiver.maxInFlight = 0
  receiver.respond = () => ({ status: 200, body: 'ok' })
})

function report(stdout: string): LoadtestReport {
  return JSON.parse(stdout) as LoadtestReport
}

describe('kanari loadtest', () => {
  it('sends at the rate, for the duration, and counts answers by status', async () => {
    receiver.respond = (_c, i) => ({ status: i % 4 === 3 ? 503 : 200 })
    const started = Date.now()
    const res = await runKanari([
      'loadtest',
      receiver.url('/color'),
      '-r',
      '40',
      '-d',
      '2s',
      '-o',
      'json',
    ])
    const elapsed = Date.now() - started
    expect(res.code, res.stderr).toBe(0)
    const r = report(res.stdout)
    expect(r.sent).toBe(receiver.calls.length)
    expect(r.sent).toBeGreaterThanOrEqual(70)
    expect(r.sent).toBeLessThanOrEqual(80)
    const fails = receiver.calls.filter((_c, i) => i % 4 === 3).length
    expect(r.byStatus).toEqual({ '200': r.sent - fails, '503': fails })
    expect(r.failed).toBe(fails)
    expect(r.answered).toBe(r.sent)
    expect(r.errors).toEqual({})
    expect(r.latencyMs.p50).toBeGreaterThan(0)
    expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50)
    expect(r.latencyMs.max).toBeGreaterThanOrEqual(r.latencyMs.p99)
    expect(r.interrupted).toBe(false)
    // it stopped by itself
    expect(r.seconds).toBeGreaterThanOrEqual(2)
    expect(elapsed).toBeGreaterThanOrEqual(2000)
  })

  it('prints a table with status counts and latency percentiles', async () => {
    const res = await runKanari(['loadtest', receiver.url('/'), '-r', '20', '-d', '1', '-q'])
    expect(res.code, res.stderr).toBe(0)
    expect(res.stdout).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/: \d+ requests in 1\.\ds/)
    expect(res.stdout).toMatch(/^STATUS\s+COUNT\n200\s+\d+$/m)
    expect(res.stdout).toMatch(
      /^latency {2}p50 [\d.]+ms {2}p90 [\d.]+ms {2}p99 [\d.]+ms {2}max [\d.]+ms {2}mean [\d.]+ms$/m,
    )
    expect(res.stderr).toBe('')
  })

  it('sends the method, headers and body given', async () => {
    const res = await runKanari([
      'loadtest',
      receiver.url('/echo'),
      '-X',
      'post',
      '-H',
      'x-canary: true',
      '-H',
      'Authorization: Bearer abc',
      '--body',
      '{"n":1}',
      '-r',
      '10',
      '-d',
      '1',
      '-o',
      'json',
    ])
    expect(res.code, res.stderr).toBe(0)
    expect(receiver.calls.length).toBeGreaterThan(5)
    for (const c of receiver.calls) {
      expect(c.method).toBe('POST')
      expect(c.headers['x-canary']).toBe('true')
      expect(c.headers.authorization).toBe('Bearer abc')
      expect(c.text).toBe('{"n":1}')
    }
  })

  it('never has more than --concurrency in flight, and counts what it skipped', async () => {
    receiver.respond = () => ({ status: 200, delayMs: 400 })
    const res = await runKanari([
      'loadtest',
      receiver.url('/slow'),
      '-r',
      '50',
      '-d',
      '1',
      '-c',
      '3',
      '-o',
      'json',
    ])
    expect(res.code, res.stderr).toBe(0)
    const r = report(res.stdout)
    expect(receiver.maxInFlight).toBeLessThanOrEqual(3)
    expect(r.skipped).toBeGreaterThan(20)
    expect(r.sent + r.skipped).toBeGreaterThanOrEqual(45)
    expect(r.sent).toBe(receiver.calls.length)
  })

  it('counts requests with no answer by why: a timeout', async () => {
    receiver.respond = () => ({ status: 200, hang: true })
    const res = await runKanari([
      'loadtest',
      receiver.url('/hang'),
      '-r',
      '5',
      '-d',
      '1',
      '--timeout',
      '300ms',
      '-o',
      'json',
    ])
    const r = report(res.stdout)
    expect(r.errors).toEqual({ timeout: r.sent })
    expect(r.byStatus).toEqual({ '0': r.sent })
    // nothing answered: exit 6, said on stderr
    expect(res.code).toBe(6)
    expect(res.stderr).toMatch(
      /error: no request got an answer from http:\/\/127\.0\.0\.1:\d+\/hang \(\d+× timeout\)/,
    )
  })

  it('says so when nothing listens (exit 6)', async () => {
    const port = await freePort()
    const res = await runKanari(['loadtest', `http://127.0.0.1:${port}/`, '-r', '5', '-d', '1'])
    expect(res.code).toBe(6)
    expect(res.stdout).toMatch(/no answer: connection refused\s+\d+/)
    expect(res.stderr).toMatch(
      /no request got an answer .* connection refused\)\n {2}→ is anything listening there\?/,
    )
  })

  it('stops at Ctrl-C with its summary (exit 130)', async () => {
    const child = spawn(
      process.execPath,
      [KANARI_BIN, 'loadtest', receiver.url('/long'), '-r', '20', '-d', '1h', '-o', 'json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    await waitFor(() => receiver.calls.length >= 10, 'the first requests')
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code).toBe(130)
    const r = report(stdout)
    expect(r.interrupted).toBe(true)
    expect(r.sent).toBeGreaterThanOrEqual(10)
    expect(r.sent).toBe(receiver.calls.length)
    // far short of the hour asked for
    expect(r.seconds).toBeLessThan(60)
  })

  it('refuses other machines unless --allow-remote, before sending anything (exit 2)', async () => {
    for (const url of [
      'http://192.0.2.10/',
      'http://example.invalid:8080/x',
      'http://[2001:db8::1]/',
    ]) {
      const res = await runKanari(['loadtest', url, '-d', '1', '-o', 'json'])
      expect(res.code).toBe(2)
      expect(res.stderr).toMatch(
        /is not this machine: load tests send only to 127\.0\.0\.0\/8, \[::1\] or localhost unless allowed \(kanari loadtest --allow-remote\)/,
      )
      expect(JSON.parse(res.stdout)).toMatchObject({ error: { code: 'KANARI_USAGE' } })
    }
    const local = await runKanari([
      'loadtest',
      receiver.url('/ok').replace('127.0.0.1', 'localhost'),
      '-r',
      '10',
      '-d',
      '1',
      '--allow-remote',
      '-q',
    ])
    expect(local.code, local.stderr).toBe(0)
  })

  it.each([
    [
      ['-r', '0'],
      /'-r, --rate <n>' argument '0' is invalid\. Expected a number of requests per second above 0 and at most 10000/,
    ],
    [['-r', 'fast'], /'-r, --rate <n>' argument 'fast' is invalid/],
    [['-r', '20000'], /argument '20000' is invalid/],
    [
      ['-d', '2h'],
      /'-d, --duration <duration>' argument '2h' is invalid\. Expected a duration above 0 and at most 1h/,
    ],
    [['-d', '0'], /'-d, --duration <duration>' argument '0' is invalid/],
    [['-d', 'soon'], /argument 'soon' is invalid/],
    [
      ['-c', '0'],
      /'-c, --concurrency <n>' argument '0' is invalid\. Expected a whole number from 1 to 1000/,
    ],
    [['-c', '5000'], /'-c, --concurrency <n>' argument '5000' is invalid/],
    [
      ['-X', 'BREW'],
      /'-X, --method <method>' argument 'BREW' is invalid\. Expected one of GET, HEAD, POST/,
    ],
    [
      ['-H', 'no colon'],
      /'-H, --header <header>' argument 'no colon' is invalid\. Expected a header as "Name: value"/,
    ],
    [['--timeout', '10m'], /'--timeout <duration>' argument '10m' is invalid/],
    [['-o', 'xml'], /argument 'xml' is invalid\. Allowed choices are table, json, yaml/],
  ])('%j is a usage error (exit 2) and sends nothing', async (flags, message) => {
    const res = await runKanari(['loadtest', receiver.url('/never'), ...flags])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(message)
    expect(res.stderr).not.toMatch(/\n\s+at /)
    expect(receiver.calls).toHaveLength(0)
  })

  it.each(['not a url', 'ftp://127.0.0.1/', '127.0.0.1:8080'])(
    '%j is refused as a URL (exit 2)',
    async (url) => {
      const res = await runKanari(['loadtest', url, '-d', '1'])
      expect(res.code).toBe(2)
      expect(res.stderr).toMatch(/is not (a URL|an http:\/\/ or https:\/\/ URL)/)
    },
  )

  it('needs a URL (exit 2)', async () => {
    const res = await runKanari(['loadtest'])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/missing required argument 'url'/)
  })
})
