/**
 * Evidence reports on real rollouts: a real daemon, the demo app's real replicas, real traffic
 * through the proxy. A canary that throws on 30% of its requests is rolled back and its stored
 * report ranks the canary-only stack trace first, shows `GET /color 500` for the canary and not for
 * stable, names the change and hides the secret; a healthy canary's log diff is empty.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DiagnosisReport } from '../../src/diagnosis/report.js'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { runLoad } from '../../src/local/load/index.js'
import { kanariIn, viewIn, viewWhenIn, type CliResult } from '../helpers/kanari-cli.js'
import { DEMO_APP, alive, waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-diagnosis-test-'))
const pids = new Set<number>()
const SECRET = 'hunter2-s3cr3t-value-77'

function kanari(...args: string[]): Promise<CliResult> {
  return kanariIn(stateDir, ...args)
}

async function view(): Promise<RolloutView> {
  const v = await viewIn(stateDir, 'diag')
  for (const version of v.versions) for (const pid of version.pids) pids.add(pid)
  return v
}

interface Diagnosis {
  rollout: string
  revision: number
  stored: boolean
  report: DiagnosisReport
  advisor: unknown
}

async function diagnosis(...args: string[]): Promise<Diagnosis> {
  const res = await kanari('diagnose', 'diag', '-o', 'json', ...args)
  expect(res.code, res.stderr).toBe(0)
  return JSON.parse(res.stdout) as Diagnosis
}

const manifest = `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: diag }
spec:
  replicas: 2
  workload:
    process:
      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(DEMO_APP)}]
      env: { COLOR: blue, DB_PASSWORD: "${SECRET}" }
      readiness: { httpGet: /healthz }
  service: { port: 0 }
  strategy:
    canary:
      steps: [{ setWeight: 30 }, { analysis: { duration: 12s } }]
      abortScaleDownDelaySeconds: 0
      scaleDownDelaySeconds: 0
  analysis:
    interval: 3s
    judge: sequential
    minCanaryRequests: 20
    metrics: [{ name: error-rate, thresholdRange: { max: 2 } }]
  progressDeadlineSeconds: 120
`

const stopLoad = new AbortController()
let load: Promise<unknown> = Promise.resolve()

beforeAll(async () => {
  const file = join(stateDir, 'diag.yaml')
  writeFileSync(file, manifest)
  expect((await kanari('apply', '-f', file)).code).toBe(0)
  const healthy = await viewWhenIn(
    stateDir,
    'diag',
    (v) => v.status.phase === 'Healthy',
    'diag healthy',
    60_000,
  )
  load = runLoad({
    url: `${healthy.serviceUrl}/color`,
    rps: 40,
    durationMs: 170_000,
    concurrencyCap: 20,
    signal: stopLoad.signal,
  })
}, 90_000)

afterAll(async () => {
  stopLoad.abort()
  await load.catch(() => undefined)
  await kanari('down')
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

describe('diagnosis of real rollouts', () => {
  it(
    'after a rollback: the stored report ranks the canary-only stack trace first',
    { timeout: 120_000 },
    async () => {
      // The password changes too: a secret's change is shown, its values never are.
      const set = await kanari(
        'set',
        'env',
        'diag',
        'COLOR=red',
        'ERROR_RATE=30',
        `DB_PASSWORD=${SECRET}-2`,
      )
      expect(set.code, set.stderr).toBe(0)
      const rolledBack = await viewWhenIn(
        stateDir,
        'diag',
        (v) => v.status.phase === 'RolledBack' && v.diagnosis !== undefined,
        'revision 2 rolled back and diagnosed',
        90_000,
      )
      expect(rolledBack.diagnosis?.revision).toBe(2)
      expect(rolledBack.diagnosis?.summary.join('\n')).toContain('TypeError')

      const d = await diagnosis()
      expect(d).toMatchObject({ rollout: 'diag', revision: 2, stored: true, advisor: null })
      const r = d.report
      expect(r).toMatchObject({ schemaVersion: 1, trigger: 'rollback', stableRevision: 1 })
      expect(r.outcome).toMatchObject({ result: 'RolledBack', cause: 'AnalysisFailed' })
      expect(r.window.to).toBeGreaterThan(r.window.from)
      // Verdicts: the failed run first, with its counts.
      expect(r.verdicts[0]).toMatchObject({ id: 'V1', phase: 'Failed' })
      expect(r.verdicts[0]?.canaryErrors).toBeGreaterThan(0)
      // Requests: the canary's 500s first; stable has none.
      expect(r.requests.available).toBe(true)
      expect(r.requests.rows[0]).toMatchObject({
        id: 'R1',
        method: 'GET',
        path: '/color',
        status: 500,
        stable: 0,
      })
      expect(r.requests.rows[0]?.canary).toBeGreaterThan(0)
      // Logs: the stack trace, new in the canary, ranked first, with samples and the file.
      expect(r.logs).toMatchObject({ available: true, windowed: true })
      const first = r.logs.templates[0]
      expect(first?.newInCanary).toBe(true)
      expect(first?.template).toContain(
        "TypeError: Cannot read properties of undefined (reading 'hex')",
      )
      expect(first?.stable).toBe(0)
      expect(first?.samples).toHaveLength(2)
      expect(
        first?.files.some(
          (f) => f.endsWith('demo-app/server.js:70') || /demo-app\/server\.js:\d+$/.test(f),
        ),
      ).toBe(true)
      // The change, with the secret hidden — and nowhere in the report.
      const change = Object.fromEntries(r.change.items.map((c) => [c.name ?? c.field, c]))
      expect(change.ERROR_RATE).toMatchObject({ from: null, to: '30' })
      expect(change.COLOR).toMatchObject({ from: 'blue', to: 'red' })
      expect(change.DB_PASSWORD).toMatchObject({
        from: '[REDACTED]',
        to: '[REDACTED]',
        redacted: true,
      })
      expect(JSON.stringify(d)).not.toContain(SECRET)
      expect(r.redactions).toBeGreaterThan(0)

      // The text form and `kanari get` show the same evidence.
      const text = await kanari('diagnose', 'diag')
      expect(text.code).toBe(0)
      expect(text.stdout).toMatch(/L1 {2}canary \d+, stable 0 — new/)
      expect(text.stdout).toContain('R1  GET /color 500: canary')
      expect(text.stdout).not.toContain(SECRET)
      const get = await kanari('get', 'rollout', 'diag')
      expect(get.stdout).toContain('Diagnosis:  revision 2')
      expect(readFileSync(join(stateDir, 'daemon.log'), 'utf8')).toContain(
        'diagnosis of revision 2 stored',
      )
    },
  )

  it(
    'a healthy canary: its diff is empty, and no failure is over-represented',
    { timeout: 120_000 },
    async () => {
      expect((await kanari('set', 'env', 'diag', 'COLOR=green', 'ERROR_RATE-')).code).toBe(0)
      await waitFor(
        async () => (await view()).status.stableRevision === 3,
        'revision 3 promoted',
        90_000,
      )
      const d = await diagnosis('--revision', '3')
      expect(d.stored).toBe(false)
      expect(d.report.outcome?.result).toBe('Promoted')
      expect(d.report.logs.canaryLines).toBeGreaterThan(0)
      expect(d.report.logs.templates).toEqual([])
      const failing = d.report.requests.rows.filter((row) => row.status >= 500 && row.canary > 0)
      expect(failing).toEqual([])
      // The rolled-back revision's stored report is still there, unchanged.
      expect((await diagnosis('--revision', '2')).stored).toBe(true)
    },
  )

  it('refuses a revision that was never released, saying which exist', async () => {
    const res = await kanari('diagnose', 'diag', '--revision', '9', '-o', 'json')
    expect(res.code).toBe(3)
    expect(JSON.parse(res.stdout)).toMatchObject({ error: { code: 'KANARI_NOT_FOUND' } })
    const usage = await kanari('diagnose', 'diag', '--advisor-url', 'http://127.0.0.1:9/v1')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('--advisor-url needs --advisor-model')
  })
})
