/**
 * The local daemon through the real CLI: real daemon processes, real replicas, real traffic through
 * the proxy. Bad input is refused with a clear error and changes nothing; blue-green's preview by
 * header and mirrored traffic; `kanari down`; commands run from the manifest directory and drain on
 * SIGTERM. (One release with kill -9 of the daemon is the smoke test, test/smoke/.)
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { runLoad } from '../../src/local/load/index.js'
import { demoRollout } from '../helpers/manifests.js'
import { kanariIn, viewIn, viewWhenIn, type CliResult } from '../helpers/kanari-cli.js'
import { DEMO_APP, KANARI_BIN, alive, waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-daemon-test-'))
const allPids = new Set<number>()

function kanari(...args: string[]): Promise<CliResult> {
  return kanariIn(stateDir, ...args)
}

function collectPids(v: RolloutView): RolloutView {
  for (const version of v.versions) for (const pid of version.pids) allPids.add(pid)
  return v
}

async function view(name: string, dir = stateDir): Promise<RolloutView> {
  return collectPids(await viewIn(dir, name))
}

/** Polls `kanari get` until the view satisfies `ok`; returns that view. */
function viewWhen(
  name: string,
  ok: (v: RolloutView) => boolean,
  what: string,
  timeoutMs = 30_000,
  dir = stateDir,
): Promise<RolloutView> {
  return viewWhenIn(dir, name, (v) => ok(collectPids(v)), what, timeoutMs)
}

function rollout(
  name: string,
  extraEnv: Record<string, string> = {},
  steps = '[{ setWeight: 30 }, { pause: {} }]',
  dir = stateDir,
): string {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(
    file,
    demoRollout(name, {
      env: { COLOR: 'blue', ...extraEnv },
      replicas: 2,
      steps,
      progressDeadlineSeconds: 120,
    }),
  )
  return file
}

async function colorsThrough(url: string, n: number): Promise<Record<string, number>> {
  const pool = new Pool(url, { connections: 10 })
  const counts: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const res = await pool.request({ path: '/color', method: 'GET' })
    const body = (await res.body.json()) as { color?: string }
    const key = res.statusCode === 200 ? (body.color ?? '?') : `status-${res.statusCode}`
    counts[key] = (counts[key] ?? 0) + 1
  }
  await pool.close()
  return counts
}

let daemonPid = 0

beforeAll(async () => {
  const up = await kanari('up', '-o', 'json')
  expect(up.code).toBe(0)
  daemonPid = (JSON.parse(up.stdout) as { pid: number }).pid
})

afterAll(async () => {
  await kanari('down')
  for (const pid of allPids) {
    if (alive(pid)) process.kill(pid, 'SIGKILL')
  }
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

describe('local daemon', () => {
  it('refuses bad specs and wrong commands with clear errors, changing nothing', async () => {
    expect((await kanari('apply', '-f', rollout('refuse'))).code).toBe(0)
    const before = await viewWhen(
      'refuse',
      (v) => v.status.phase === 'Healthy',
      'refuse v1 Healthy',
    )
    const bad = join(stateDir, 'bad.yaml')
    const valid = readFileSync(rollout('refuse'), 'utf8')
    writeFileSync(
      bad,
      valid
        .replace(/ {4}canary:\n {6}steps: .*/, '    canary:\n      steps: [{ setWeight: 150 }]')
        .replace('COLOR: "blue"', 'COLOR: "purple"'),
    )
    const applied = await kanari('apply', '-f', bad)
    expect(applied.code).toBe(1)
    expect(applied.stderr).toMatch(
      /bad\.yaml:\d+ spec\.strategy\.canary\.steps\[0\]\.setWeight: must be <= 100/,
    )
    expect(applied.stderr).toMatch(/nothing was changed/)
    const after = await view('refuse')
    expect(after.revision).toBe(before.revision)
    expect(after.status.stableRevision).toBe(before.status.stableRevision)

    // A command the rollout's phase refuses: exit 4, why, and what to do (each phase's hint is
    // proven on the runner, src/engine/reconcile.test.ts).
    const promote = await kanari('promote', 'refuse')
    expect(promote.code).toBe(4)
    expect(promote.stderr).toMatch(/cannot promote rollout refuse: it is Healthy/)
    expect(promote.stderr).toMatch(/apply a new revision first/)
    const missing = await kanari('get', 'rollout', 'nope')
    expect(missing.code).toBe(3)
    expect(missing.stderr).toMatch(/rollout nope not found/)
    const json = await kanari('abort', 'nope', '-o', 'json')
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'KANARI_NOT_FOUND' } })
    const noFile = await kanari('apply', '-f', join(stateDir, 'missing.yaml'))
    expect(noFile.code).toBe(1)
    expect(noFile.stderr).toMatch(/cannot read .*missing.yaml: no such file/)

    const elsewhere = mkdtempSync(join(tmpdir(), 'kanari-empty-'))
    const noDaemon = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [KANARI_BIN, 'list', '--state-dir', elsewhere],
        (err, _o, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stderr }),
      ),
    )
    expect(noDaemon.code).toBe(5)
    expect(noDaemon.stderr).toMatch(
      /no Kanari daemon runs in .*kanari-empty-.*, and nothing was ever applied there\n.*--state-dir/,
    )
    rmSync(elsewhere, { recursive: true, force: true })
  })

  it('blue-green: the preview is reachable by header, analysed on mirrored traffic, then takes all users', async () => {
    const file = join(stateDir, 'bg.yaml')
    const manifest = (color: string): string => `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: bg }
spec:
  replicas: 2
  workload:
    process:
      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(DEMO_APP)}]
      env: { COLOR: ${color} }
      readiness: { httpGet: /healthz }
  service: { port: 0 }
  strategy:
    blueGreen:
      previewMirrorPercentage: 50
      prePromotionAnalysis: { duration: 4s }
      scaleDownDelaySeconds: 0
  analysis:
    minCanaryRequests: 20
    metrics:
      - name: error-rate
        thresholdRange: { max: 1 }
`
    writeFileSync(file, manifest('blue'))
    expect((await kanari('apply', '-f', file)).code).toBe(0)
    const first = await viewWhen('bg', (v) => v.status.phase === 'Healthy', 'bg v1 Healthy', 30_000)
    writeFileSync(file, manifest('green'))
    expect((await kanari('apply', '-f', file)).code).toBe(0)
    const stop = new AbortController()
    const seen: Record<string, number> = {}
    const load = runLoad({
      url: `${first.serviceUrl}/color`,
      rps: 40,
      durationMs: 40_000,
      concurrencyCap: 20,
      signal: stop.signal,
      onResult: (r) => {
        const key = `${r.backend ?? '?'} ${r.status}`
        seen[key] = (seen[key] ?? 0) + 1
      },
    })
    try {
      await waitFor(
        async () => (await view('bg')).status.canaryRevision === 2,
        'the preview revision',
        30_000,
      )
      // Before promotion: the preview answers only requests that ask for it.
      const preview = await waitFor(async () => {
        const res = await fetch(`${first.serviceUrl}/color`, {
          headers: { 'x-kanari-preview': 'true' },
        })
        const body = (await res.json()) as { color?: string }
        return body.color === 'green' ? body : undefined
      }, 'the preview to answer')
      expect(preview.color).toBe('green')
      const promoted = await viewWhen(
        'bg',
        (v) => v.status.phase === 'Healthy' && v.status.stableRevision === 2,
        'bg v2 promoted',
        40_000,
      )
      // The pre-promotion analysis ran on answers to mirrored copies, while users saw only v1.
      const monitored = promoted.processTable.find(
        (r) => r.action === 'Monitor metrics' && r.canaryPercent === 0,
      )
      const analysed = /canary error rate 0% \(0\/(\d+)\)/.exec(monitored?.detail ?? '')
      expect(Number(analysed?.[1] ?? 0)).toBeGreaterThanOrEqual(20)
      expect(await colorsThrough(promoted.serviceUrl, 20)).toEqual({ green: 20 })
    } finally {
      stop.abort()
      await load
    }
    // Users saw rev-1 before the switch and rev-2 after, never an error.
    expect(Object.keys(seen).sort()).toEqual(['rev-1 200', 'rev-2 200'])
  }, 90_000)

  it('stops every replica on `kanari down`', async () => {
    const pids = [...allPids].filter(alive)
    expect(pids.length).toBeGreaterThan(0)
    expect((await kanari('down')).code).toBe(0)
    await waitFor(() => pids.every((p) => !alive(p)), 'replicas to stop', 15_000)
    // `down` returns once the daemon has exited; init reaps it a moment later.
    await waitFor(() => !alive(daemonPid), 'the daemon to be gone', 5_000)
  })

  it('runs commands from the manifest directory; drains in-flight requests on SIGTERM, then stops replicas and exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanari-sigterm-test-'))
    try {
      const up = await kanariIn(dir, 'up', '-o', 'json')
      expect(up.code).toBe(0)
      const pid = (JSON.parse(up.stdout) as { pid: number }).pid
      // Every /color answer takes about 1.5 s, so a request is surely in flight when SIGTERM lands.
      const file = rollout('slow', { LATENCY_MS: '1500' }, '[{ setWeight: 50 }]', dir)
      // A relative path in the command starts from the manifest's directory, not the caller's.
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(
          JSON.stringify(DEMO_APP),
          JSON.stringify(relative(dir, DEMO_APP)),
        ),
      )
      expect(readFileSync(file, 'utf8')).toContain('../')
      expect((await kanariIn(dir, 'apply', '-f', file)).code).toBe(0)
      const ready = await viewWhen(
        'slow',
        (v) => v.status.phase === 'Healthy',
        'slow v1 Healthy',
        30_000,
        dir,
      )
      const replicas = ready.versions.flatMap((v) => v.pids)
      for (const p of replicas) allPids.add(p)
      expect(replicas.length).toBe(2)
      const started = Date.now()
      const inFlight = fetch(`${ready.serviceUrl}/color`).then(async (res) => ({
        status: res.status,
        body: (await res.json()) as { color?: string },
      }))
      await new Promise((r) => setTimeout(r, 300))
      process.kill(pid, 'SIGTERM')
      const answer = await inFlight
      expect(answer.status).toBe(200)
      expect(answer.body.color).toBe('blue')
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
      await waitFor(() => !alive(pid), 'the daemon to exit after SIGTERM', 15_000)
      await waitFor(() => replicas.every((p) => !alive(p)), 'replicas to stop', 15_000)
      // New connections are refused once it has stopped.
      await expect(fetch(`${ready.serviceUrl}/color`)).rejects.toThrow()
    } finally {
      await kanariIn(dir, 'down')
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
