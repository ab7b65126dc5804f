/**
 * The advisor in real rollouts — against FakeOpenAIServer, a FAKE model (a real HTTP server on
 * 127.0.0.1 speaking the OpenAI wire format): with `pauseOnDisagreement`, its disagreement turns a
 * healthy canary's automatic promotion into a pause a person ends; it cannot promote a failing
 * canary nor stop its rollback; a timeout or an HTTP error is "unavailable" and the rollout goes on
 * by the statistics. The API key reaches the endpoint and nowhere else.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  adviceJson,
  FakeOpenAIServer,
  type FakeReply,
} from '../../src/advisor/test-utils/fake-openai-server.js'
import type { AdvisorRecord } from '../../src/diagnosis/advice.js'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { runLoad } from '../../src/local/load/index.js'
import { kanariIn, viewWhenIn, type CliResult } from '../helpers/kanari-cli.js'
import { DEMO_APP, alive } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-advisor-test-'))
const KEY = 'sk-advisor-test-4f9a0c1e2b3d5a6978'
const pids = new Set<number>()
let fake: FakeOpenAIServer
let reply: FakeReply = { kind: 'answer', content: adviceJson() }

function kanari(...args: string[]): Promise<CliResult> {
  return kanariIn(stateDir, ...args)
}

function when(ok: (v: RolloutView) => boolean, what: string): Promise<RolloutView> {
  return viewWhenIn(
    stateDir,
    'adv',
    (v) => {
      for (const version of v.versions) for (const pid of version.pids) pids.add(pid)
      return ok(v)
    },
    what,
    90_000,
  )
}

async function stored(
  revision: number,
): Promise<{ advisor: AdvisorRecord | null; stored: boolean }> {
  const res = await kanari('diagnose', 'adv', '--revision', String(revision), '-o', 'json')
  expect(res.code, res.stderr).toBe(0)
  return JSON.parse(res.stdout) as { advisor: AdvisorRecord | null; stored: boolean }
}

const stopLoad = new AbortController()
let load: Promise<unknown> = Promise.resolve()

beforeAll(async () => {
  fake = await FakeOpenAIServer.start(() => reply)
  // The daemon (started by the CLI below) and the CLI read the key from their environment.
  process.env.KANARI_TEST_ADVISOR_KEY = KEY
  const file = join(stateDir, 'adv.yaml')
  writeFileSync(
    file,
    `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: adv }
spec:
  replicas: 1
  workload:
    process:
      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(DEMO_APP)}]
      env: { COLOR: blue }
      readiness: { httpGet: /healthz }
  service: { port: 0 }
  strategy:
    canary:
      steps: [{ setWeight: 50 }, { analysis: { duration: 8s } }]
      abortScaleDownDelaySeconds: 0
      scaleDownDelaySeconds: 0
  analysis:
    interval: 2s
    judge: sequential
    minCanaryRequests: 15
    metrics: [{ name: error-rate, thresholdRange: { max: 2 } }]
    advisor:
      url: ${fake.url}
      model: fake-model
      apiKeyEnv: KANARI_TEST_ADVISOR_KEY
      timeout: 4s
      pauseOnDisagreement: true
  progressDeadlineSeconds: 120
`,
  )
  expect((await kanari('apply', '-f', file)).code).toBe(0)
  const healthy = await when((v) => v.status.phase === 'Healthy', 'adv healthy')
  load = runLoad({
    url: `${healthy.serviceUrl}/color`,
    rps: 30,
    durationMs: 240_000,
    concurrencyCap: 20,
    signal: stopLoad.signal,
  })
}, 90_000)

afterAll(async () => {
  stopLoad.abort()
  await load.catch(() => undefined)
  await kanari('down')
  await fake.close()
  delete process.env.KANARI_TEST_ADVISOR_KEY
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

describe('the advisor never gates (against FakeOpenAIServer, a fake)', () => {
  it(
    'its disagreement pauses an automatic promotion until a person promotes',
    { timeout: 120_000 },
    async () => {
      reply = { kind: 'answer', content: adviceJson({ verdict: 'rollback', evidence: ['V1'] }) }
      const before = fake.chats.length
      expect((await kanari('set', 'env', 'adv', 'COLOR=green')).code).toBe(0)
      const paused = await when((v) => v.status.phase === 'Paused', 'paused by the advisor')
      expect(paused.status.pause?.reason).toBe('AdvisorDisagreed')
      expect(paused.status.stableRevision).toBe(1)
      const reviewed = paused.events.filter((e) => e.reason === 'PromotionReviewed')
      expect(reviewed.at(-1)).toMatchObject({ outcome: 'disagree', paused: true })
      // What went to the endpoint: the key, and the report of the canary as fenced data.
      const sent = fake.chats.slice(before)
      expect(sent).toHaveLength(1)
      expect(sent[0]?.headers.authorization).toBe(`Bearer ${KEY}`)
      expect(sent[0]?.body?.messages?.[1]?.content).toContain('Diagnosis of adv revision 2')
      expect((await kanari('promote', 'adv')).code).toBe(0)
      await when(
        (v) => v.status.phase === 'Healthy' && v.status.stableRevision === 2,
        'promoted by the person',
      )
    },
  )

  it(
    'saying "promote" with confidence 1 does not save a failing canary',
    { timeout: 120_000 },
    async () => {
      reply = {
        kind: 'answer',
        content: adviceJson({
          verdict: 'promote',
          confidence: 1,
          evidence: ['L1', 'L999', 'made-up'],
        }),
      }
      expect((await kanari('set', 'env', 'adv', 'COLOR=red', 'ERROR_RATE=40')).code).toBe(0)
      const v = await when(
        (x) =>
          x.status.phase === 'RolledBack' &&
          x.diagnosis?.advisor !== null &&
          x.diagnosis !== undefined,
        'rolled back, with the advisor heard',
      )
      expect(v.status.stableRevision).toBe(2)
      expect(v.events.some((e) => e.reason === 'PromotionReviewed' && e.revision === 3)).toBe(false)
      const d = await stored(3)
      expect(d.advisor).toMatchObject({
        status: 'answered',
        advice: { verdict: 'promote', confidence: 1, droppedCitations: 2 },
      })
    },
  )

  it(
    'no answer in time: promoted by the statistics, the advisor recorded as unavailable',
    { timeout: 120_000 },
    async () => {
      reply = { kind: 'slow', delayMs: 15_000, then: { kind: 'answer', content: adviceJson() } }
      expect((await kanari('set', 'env', 'adv', 'COLOR=yellow', 'ERROR_RATE-')).code).toBe(0)
      const v = await when((x) => x.status.stableRevision === 4, 'promoted after the timeout')
      const reviewed = v.events.filter((e) => e.reason === 'PromotionReviewed' && e.revision === 4)
      expect(reviewed).toMatchObject([{ outcome: 'unavailable', paused: false }])
      const d = await stored(4)
      expect(d.advisor).toMatchObject({ status: 'unavailable' })
    },
  )

  it('an HTTP error: the rollback happens all the same', { timeout: 120_000 }, async () => {
    reply = { kind: 'http-error', status: 500, body: `upstream failed for key ${KEY}` }
    expect((await kanari('set', 'env', 'adv', 'COLOR=purple', 'ERROR_RATE=40')).code).toBe(0)
    await when(
      (x) =>
        x.status.phase === 'RolledBack' &&
        x.diagnosis?.advisor !== null &&
        x.diagnosis !== undefined,
      'rolled back, advisor unavailable',
    )
    const d = await stored(5)
    expect(d.advisor?.status).toBe('unavailable')
    expect(JSON.stringify(d)).not.toContain(KEY)
  })

  it(
    '`kanari diagnose --advisor` asks from the CLI and stores the answer',
    { timeout: 60_000 },
    async () => {
      reply = {
        kind: 'json-object-only',
        then: { kind: 'answer', content: adviceJson({ evidence: ['R1'] }) },
      }
      const res = await kanari('diagnose', 'adv', '--revision', '5', '--advisor', '-o', 'json')
      expect(res.code, res.stderr).toBe(0)
      const out = JSON.parse(res.stdout) as { advisor: AdvisorRecord }
      expect(out.advisor).toMatchObject({
        status: 'answered',
        responseFormat: 'json_object',
        advice: { evidence: ['R1'] },
      })
      expect((await stored(5)).advisor).toMatchObject({ status: 'answered' })
      const text = await kanari('diagnose', 'adv', '--revision', '5')
      expect(text.stdout).toContain('advisory only, it never decides')
      // The key went to the endpoint only: not to the daemon's log, nor any output.
      expect(readFileSync(join(stateDir, 'daemon.log'), 'utf8')).not.toContain(KEY)
      expect(res.stdout + res.stderr + text.stdout).not.toContain(KEY)
    },
  )
})
