/**
 * Webhooks on a real local-mode rollout: the daemon and real replicas of the demo app, with webhook
 * receivers on 127.0.0.1. What each webhook type does to a release is proven on the runner
 * (src/engine/webhooks.test.ts, real HTTP caller, in simulated time); here, what needs the daemon: a
 * spec's webhooks reach the receiver over real HTTP (a denied confirm-promotion waits through a
 * timeout and a retried 503, a later allow promotes); `kanari gate` opens a gate a rollout waits on,
 * and a webhook URL that points at the daemon's gate check rolls one back; a load-test webhook gives
 * the canary the traffic its analysis needs; the load-test endpoint starts bounded runs from a
 * webhook payload; a release waiting at a gate survives kill -9 of the daemon.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../src/controller/ports.js'
import type { GateView, RolloutView } from '../../src/local/daemon/api/schemas.js'
import type { LoadtestRunView } from '../../src/local/load/index.js'
import { runLoad } from '../../src/local/load/index.js'
import { HookReceiver, type Reply } from '../../src/webhooks/test-utils/hook-receiver.js'
import { kanariIn, viewIn, viewWhenIn, type CliResult } from '../helpers/kanari-cli.js'
import { demoRollout } from '../helpers/manifests.js'
import { alive, waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-webhooks-test-'))
const pids = new Set<number>()
let receiver: HookReceiver
let api = ''

function kanari(...args: string[]): Promise<CliResult> {
  return kanariIn(stateDir, ...args)
}

async function view(name: string): Promise<RolloutView> {
  const v = await viewIn(stateDir, name)
  for (const version of v.versions) for (const pid of version.pids) pids.add(pid)
  return v
}

function viewWhen(name: string, ok: (v: RolloutView) => boolean, what: string, timeoutMs = 60_000) {
  const collect = (v: RolloutView): RolloutView => {
    for (const version of v.versions) for (const pid of version.pids) pids.add(pid)
    return v
  }
  return viewWhenIn(stateDir, name, (v) => ok(collect(v)), what, timeoutMs)
}

/** The demo app with these webhooks; every interval (and webhook call) is 1 s. */
function manifest(
  name: string,
  webhooks: string,
  steps = '[{ setWeight: 30 }, { pause: {} }]',
  analysis = '',
): string {
  const file = join(stateDir, `${name}.yaml`)
  writeFileSync(
    file,
    demoRollout(name, {
      steps,
      progressDeadlineSeconds: 300,
      extra: `  analysis:\n    interval: 1s\n    threshold: 2\n${analysis}  webhooks:\n${webhooks}`,
    }),
  )
  return file
}

/** Applies revision 1 and waits until it serves; returns the proxy's URL. */
async function deployed(file: string, name: string): Promise<string> {
  const applied = await kanari('apply', '-f', file)
  expect(applied.code, applied.stderr).toBe(0)
  const v = await viewWhen(name, (x) => x.status.phase === 'Healthy', `${name} healthy`)
  return v.serviceUrl
}

async function release(name: string): Promise<void> {
  const res = await kanari('set', 'env', name, 'COLOR=green')
  expect(res.code, res.stderr).toBe(0)
}

async function allEvents(name: string): Promise<StoredEvent[]> {
  const res = await request(`${api}/api/v1/rollouts/${name}/events`)
  return ((await res.body.json()) as { items: StoredEvent[] }).items
}

/** Each path answers by its own function; others 200. */
function answer(byPath: Record<string, (n: number) => Reply>): void {
  receiver.respond = (c) => {
    const f = byPath[c.path]
    return f === undefined ? { status: 200 } : f(receiver.on(c.path).length)
  }
}

beforeAll(async () => {
  receiver = await HookReceiver.start()
  const up = await kanari('up', '-o', 'json')
  expect(up.code, up.stderr).toBe(0)
  api = (JSON.parse(up.stdout) as { url: string }).url
})

afterAll(async () => {
  await kanari('down')
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  await receiver.close()
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

describe('webhooks on a local rollout', () => {
  it(
    'a denied confirm-promotion waits (through a timeout and a retried 503), and a later allow promotes',
    { timeout: 120_000 },
    async () => {
      let allow = false
      answer({
        // the first call hangs past its 1 s timeout, its retry gets a 503: a failed answer
        '/promotion': (n) =>
          n === 1
            ? { status: 200, hang: true }
            : n === 2
              ? { status: 503, body: 'busy' }
              : allow
                ? { status: 200, body: 'approved' }
                : { status: 403, body: 'change freeze' },
      })
      const url = await deployed(
        manifest(
          'approve',
          `    - name: promotion\n      type: confirm-promotion\n      url: ${receiver.url('/promotion')}\n      timeout: 1s\n      retries: 1\n      metadata: { ticket: REL-42 }\n`,
          '[{ setWeight: 30 }]',
        ),
        'approve',
      )
      await release('approve')
      const waiting = await viewWhen(
        'approve',
        (v) => v.status.phase === 'Paused',
        'approve waiting at its gate',
      )
      expect(waiting.status.pause).toMatchObject({ reason: 'Gate', gate: 'confirm-promotion' })
      expect(waiting.status.traffic.canaryWeight).toBe(30)
      expect(waiting.status.message).toMatch(
        /confirm-promotion webhook "promotion" answered (HTTP 503: busy \(2 attempts\)|HTTP 403: change freeze)/,
      )
      // still waiting, asked again every second, serving both versions meanwhile
      await waitFor(() => receiver.on('/promotion').length >= 6, 'asked again', 30_000)
      const still = await view('approve')
      expect(still.status.phase).toBe('Paused')
      expect(still.status.stableRevision).toBe(1)
      const load = await runLoad({
        url: `${url}/color`,
        rps: 100,
        durationMs: 1500,
        concurrencyCap: 20,
      })
      expect(Object.keys(load.byBackend).sort()).toEqual(['rev-1', 'rev-2'])

      allow = true
      const promoted = await viewWhen(
        'approve',
        (v) => v.status.phase === 'Healthy' && v.status.stableRevision === 2,
        'approve promoted once allowed',
      )
      expect(promoted.status.lastOutcome?.result).toBe('Promoted')
      const calls = receiver.on('/promotion')
      // the timed-out attempt and its retry, then one call a second
      expect(calls[0]?.body).toMatchObject({
        name: 'approve',
        namespace: 'default',
        phase: 'Progressing',
        metadata: { ticket: 'REL-42' },
        webhook: { name: 'promotion', type: 'confirm-promotion' },
        revision: 2,
        stableRevision: 1,
        canaryWeight: 30,
      })
      expect(calls[0]?.body.checksum).toMatch(/^[0-9a-f]{10}$/)
      expect(calls[0]?.headers['content-type']).toBe('application/json')
      const effects = (await allEvents('approve')).flatMap((e) =>
        e.reason === 'WebhookAnswered' ? [[e.effect, e.attempts]] : [],
      )
      expect(effects[0]).toEqual(['GateClosed', 2])
      expect(effects.at(-1)).toEqual(['GateOpened', 1])
    },
  )

  it(
    '`kanari gate` opens a gate a release waits on; a webhook URL to the daemon’s gate check rolls another back',
    { timeout: 120_000 },
    async () => {
      await deployed(
        manifest(
          'gated',
          '    - name: approval\n      type: confirm-promotion\n      gate: gated-release\n',
          '[{ setWeight: 30 }]',
        ),
        'gated',
      )
      let list = await kanari('gate', 'list', '-o', 'json')
      expect(list.code, list.stderr).toBe(0)
      expect((JSON.parse(list.stdout) as { items: GateView[] }).items).toContainEqual({
        name: 'gated-release',
        open: false,
        updatedAt: null,
        usedBy: [{ rollout: 'gated', webhook: 'approval', type: 'confirm-promotion' }],
      })
      await release('gated')
      const waiting = await viewWhen('gated', (v) => v.status.phase === 'Paused', 'gated waits')
      expect(waiting.status.message).toMatch(
        /webhook "approval" answered gate gated-release is not opened yet \(`kanari gate open gated-release` opens it\)/,
      )
      const shown = await kanari('get', 'rollout', 'gated')
      expect(shown.stdout).toMatch(/^Phase: +Paused \(Gate\)$/m)
      expect(shown.stdout).toMatch(/^Webhooks: +failed checks 0\/2$/m)
      expect(shown.stdout).toMatch(
        /^ {2}approval +confirm-promotion +\d+ +gate gated-release is not opened yet/m,
      )
      const open = await kanari('gate', 'open', 'gated-release')
      expect(open.code, open.stderr).toBe(0)
      expect(open.stdout).toBe(
        'gate/gated-release opened; asked by gated/approval (confirm-promotion)\n',
      )
      await viewWhen(
        'gated',
        (v) => v.status.phase === 'Healthy' && v.status.stableRevision === 2,
        'gated promoted once the gate opened',
      )
      list = await kanari('gate', 'list')
      expect(list.stdout).toMatch(/^gated-release\s+open\s+\d{4}-/m)
      const closed = await kanari('gate', 'close', 'gated-release', '-o', 'json')
      expect(closed.code).toBe(0)
      expect(JSON.parse(closed.stdout)).toMatchObject({ name: 'gated-release', open: false })

      // A rollback webhook pointing at the daemon's own gate check, as at Flagger's load tester.
      await deployed(
        manifest(
          'stoppable',
          `    - name: stop\n      type: rollback\n      url: ${api}/api/v1/gates/stop-stoppable/check\n`,
        ),
        'stoppable',
      )
      await release('stoppable')
      await viewWhen('stoppable', (v) => v.status.phase === 'Paused', 'stoppable at its pause')
      const check = await request(`${api}/api/v1/gates/stop-stoppable/check`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      expect(check.statusCode).toBe(403)
      expect(await check.body.json()).toMatchObject({ gate: 'stop-stoppable', open: false })
      expect((await kanari('gate', 'open', 'stop-stoppable')).code).toBe(0)
      const stopped = await viewWhen(
        'stoppable',
        (v) => v.status.phase === 'RolledBack',
        'stoppable rolled back by its rollback webhook',
      )
      expect(stopped.events.find((e) => e.reason === 'RolledBack')).toMatchObject({
        cause: 'WebhookRollback',
      })
    },
  )

  it(
    'a load-test webhook gives the canary the traffic its analysis needs: promoted with no outside load',
    { timeout: 120_000 },
    async () => {
      await deployed(
        manifest(
          'busy',
          '    - name: traffic\n      type: rollout\n      loadtest: { path: /color, rate: 40, duration: 30s }\n',
          '[{ setWeight: 40 }, { analysis: { duration: 20s } }]',
          '    metrics: [{ name: error-rate, thresholdRange: { max: 5 } }]\n',
        ),
        'busy',
      )
      await release('busy')
      const promoted = await viewWhen(
        'busy',
        (v) => v.status.phase === 'Healthy' && v.status.stableRevision === 2,
        'busy promoted on the load test’s traffic',
        90_000,
      )
      expect(promoted.status.lastOutcome?.result).toBe('Promoted')
      const verdict = (await allEvents('busy')).find((e) => e.reason === 'AnalysisSuccessful')
      expect(verdict?.reason === 'AnalysisSuccessful' && verdict.explanation).toMatch(/canary/)
      const runs = await request(`${api}/api/v1/loadtests`)
      const { items } = (await runs.body.json()) as { items: LoadtestRunView[] }
      const mine = items.filter((r) => r.owner === 'busy.default')
      // one run, asked for every second and not started twice
      expect(mine).toHaveLength(1)
      expect(mine[0]?.request.url).toBe(`${promoted.serviceUrl}/color`)
      expect(mine[0]?.sent).toBeGreaterThan(100)
    },
  )

  it(
    'the load-test endpoint starts a bounded run from a webhook payload, once',
    { timeout: 60_000 },
    async () => {
      answer({})
      const payload = {
        name: 'podinfo',
        namespace: 'test',
        phase: 'Progressing',
        checksum: 'x',
        metadata: { url: receiver.url('/target'), rate: '20', duration: '2s', concurrency: '2' },
      }
      const post = (body: unknown, contentType = 'application/json') =>
        request(`${api}/api/v1/loadtests`, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: JSON.stringify(body),
        })
      const first = await post(payload)
      expect(first.statusCode).toBe(202)
      const started = (await first.body.json()) as { started: boolean; run: LoadtestRunView }
      expect(started).toMatchObject({
        started: true,
        run: { owner: 'podinfo.test', state: 'running' },
      })
      const again = await post(payload)
      expect(((await again.body.json()) as { started: boolean }).started).toBe(false)
      await waitFor(() => receiver.on('/target').length >= 30, 'the run to send', 20_000)
      await new Promise((r) => setTimeout(r, 2500))
      expect(receiver.on('/target').length).toBeLessThanOrEqual(41)

      const remote = await post({ url: 'http://192.0.2.1/', rate: 5, duration: '1s' })
      expect(remote.statusCode).toBe(400)
      expect(((await remote.body.json()) as { error: { message: string } }).error.message).toMatch(
        /192\.0\.2\.1 is not this machine/,
      )
      const notJson = await post(payload, 'text/plain')
      expect(notJson.statusCode).toBe(400)
      const tooLong = await post({ url: receiver.url('/x'), duration: '2h' })
      expect(((await tooLong.body.json()) as { error: { message: string } }).error.message).toMatch(
        /duration: must be above 0 and at most 3600s/,
      )
      // nothing of these started
      expect(receiver.on('/x')).toHaveLength(0)
    },
  )

  it(
    'a release waiting at a gate survives kill -9 of the daemon; opening the gate then promotes it',
    { timeout: 120_000 },
    async () => {
      await deployed(
        manifest(
          'survivor',
          '    - name: approval\n      type: confirm-promotion\n      gate: survivor-release\n',
          '[{ setWeight: 30 }]',
        ),
        'survivor',
      )
      await release('survivor')
      await viewWhen('survivor', (v) => v.status.phase === 'Paused', 'survivor at its gate')
      const pid = (JSON.parse(readFileSync(join(stateDir, 'api.json'), 'utf8')) as { pid: number })
        .pid
      process.kill(pid, 'SIGKILL')
      await waitFor(() => !alive(pid), 'the daemon to die')
      // Any command starts a daemon again; the gate is opened in the store it shares.
      const open = await kanari('gate', 'open', 'survivor-release')
      expect(open.code, open.stderr).toBe(0)
      expect(open.stderr).toMatch(/started a Kanari daemon/)
      api = (JSON.parse(readFileSync(join(stateDir, 'api.json'), 'utf8')) as { url: string }).url
      const promoted = await viewWhen(
        'survivor',
        (v) => v.status.phase === 'Healthy' && v.status.stableRevision === 2,
        'survivor promoted after the restart',
      )
      expect(promoted.status.lastOutcome?.result).toBe('Promoted')
      const effects = (await allEvents('survivor')).flatMap((e) =>
        e.reason === 'WebhookAnswered' ? [e.effect] : [],
      )
      expect(effects).toEqual(['GateClosed', 'GateOpened'])
    },
  )

  it('bad gate names are usage errors (exit 2), and nothing is opened', async () => {
    for (const bad of ['Release', 'a_b', 'x.', 'x'.repeat(254)]) {
      const res = await kanari('gate', 'open', bad)
      expect(res.code).toBe(2)
      expect(res.stderr).toMatch(
        /Expected a gate name: lower-case letters, digits, dashes and dots/,
      )
    }
    expect((await kanari('gate', 'open')).code).toBe(2)
    expect((await kanari('gate', 'frobnicate', 'x')).code).toBe(2)
    const list = await kanari('gate', 'list', '-o', 'json')
    const names = (JSON.parse(list.stdout) as { items: GateView[] }).items.map((g) => g.name)
    expect(names.some((n) => n === 'Release' || n === 'a_b')).toBe(false)
    // the API refuses them too, naming the field
    const res = await request(`${api}/api/v1/gates/Bad_Name/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.statusCode).toBe(400)
    const token = (
      JSON.parse(readFileSync(join(stateDir, 'api.json'), 'utf8')) as { token: string }
    ).token
    const noToken = await request(`${api}/api/v1/gates/ok/open`, { method: 'POST' })
    expect(noToken.statusCode).toBe(401)
    const withToken = await request(`${api}/api/v1/gates/ok/open`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(withToken.statusCode).toBe(200)
  })
})
