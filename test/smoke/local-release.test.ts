/**
 * Smoke: one local release through the real CLI, daemon and proxy, with real replicas of the demo app.
 * Killing the daemon with -9 mid-rollout and starting it again resumes the rollout (same step, same
 * weights, replicas adopted, not restarted); promote, undo and abort then work on the resumed one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { demoRollout } from '../helpers/manifests.js'
import { kanariIn, viewIn, viewWhenIn, type CliResult } from '../helpers/kanari-cli.js'
import { alive, waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-smoke-release-'))
const allPids = new Set<number>()

function kanari(...args: string[]): Promise<CliResult> {
  return kanariIn(stateDir, ...args)
}

function collectPids(v: RolloutView): RolloutView {
  for (const version of v.versions) for (const pid of version.pids) allPids.add(pid)
  return v
}

async function view(name: string): Promise<RolloutView> {
  return collectPids(await viewIn(stateDir, name))
}

function viewWhen(
  name: string,
  ok: (v: RolloutView) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<RolloutView> {
  return viewWhenIn(stateDir, name, (v) => ok(collectPids(v)), what, timeoutMs)
}

function rollout(name: string): string {
  const file = join(stateDir, `${name}.yaml`)
  writeFileSync(
    file,
    demoRollout(name, {
      env: { COLOR: 'blue' },
      replicas: 2,
      steps: '[{ setWeight: 30 }, { pause: {} }]',
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

describe('one local release', () => {
  it(
    'resumes a rollout after kill -9 of the daemon: same step, same weights, replicas re-adopted',
    { timeout: 90_000 },
    async () => {
      expect((await kanari('apply', '-f', rollout('resume'))).code).toBe(0)
      await waitFor(
        async () => (await view('resume')).status.phase === 'Healthy',
        'resume v1 Healthy',
        30_000,
      )
      const setEnv = await kanari('set', 'env', 'resume', 'COLOR=green', '-o', 'json')
      expect(setEnv.code).toBe(0)
      expect(JSON.parse(setEnv.stdout)).toMatchObject({
        results: [{ name: 'resume', revision: 2, result: 'new revision' }],
      })
      const paused = await viewWhen(
        'resume',
        (v) => v.status.phase === 'Paused',
        'canary paused at 30%',
        30_000,
      )
      expect(paused.status).toMatchObject({
        currentStepIndex: 1,
        canaryRevision: 2,
        stableRevision: 1,
        traffic: { canaryWeight: 30 },
      })
      const pidsBefore = paused.versions.flatMap((v) => v.pids).sort()
      expect(pidsBefore).toHaveLength(4)

      process.kill(daemonPid, 'SIGKILL')
      await waitFor(() => !alive(daemonPid), 'the daemon to die')
      expect(pidsBefore.every(alive)).toBe(true)

      const up = await kanari('up', '-o', 'json')
      expect(up.code).toBe(0)
      daemonPid = (JSON.parse(up.stdout) as { pid: number }).pid
      const resumed = await view('resume')
      expect(resumed.status).toMatchObject({
        phase: 'Paused',
        currentStepIndex: 1,
        canaryRevision: 2,
        stableRevision: 1,
        traffic: { canaryWeight: 30 },
      })
      await waitFor(
        async () => (await view('resume')).versions.every((v) => v.ready === 2),
        'adopted replicas ready',
      )
      const adopted = (await view('resume')).versions.flatMap((v) => v.pids).sort()
      expect(adopted).toEqual(pidsBefore)

      // The resumed proxy splits traffic as before: 30% to green, within 5 binomial deviations.
      const counts = await colorsThrough(resumed.serviceUrl, 400)
      expect((counts.blue ?? 0) + (counts.green ?? 0)).toBe(400)
      expect(Math.abs((counts.green ?? 0) - 120)).toBeLessThanOrEqual(
        5 * Math.sqrt(400 * 0.3 * 0.7),
      )

      expect((await kanari('promote', 'resume')).code).toBe(0)
      const done = await viewWhen(
        'resume',
        (v) => v.status.phase === 'Healthy',
        'promotion',
        30_000,
      )
      expect(done.status.stableRevision).toBe(2)
      expect(await colorsThrough(done.serviceUrl, 50)).toEqual({ green: 50 })

      // undo rolls revision 1's template out again, as a new revision, through the same steps.
      const undo = await kanari('undo', 'resume', '-o', 'json')
      expect(undo.code).toBe(0)
      expect(JSON.parse(undo.stdout)).toMatchObject({
        results: [{ name: 'resume', revision: 3, result: 'new revision' }],
      })
      const undoing = await viewWhen(
        'resume',
        (v) => v.status.phase === 'Paused',
        'undo canary paused at 30%',
        30_000,
      )
      expect(undoing.status).toMatchObject({
        canaryRevision: 3,
        stableRevision: 2,
        traffic: { canaryWeight: 30 },
      })
      const aborted = await kanari('abort', 'resume', '-o', 'json')
      expect(aborted.code).toBe(0)
      expect((JSON.parse(aborted.stdout) as RolloutView).status).toMatchObject({
        phase: 'RolledBack',
        stableRevision: 2,
        traffic: { canaryWeight: 0 },
      })
      const badUndo = await kanari('undo', 'resume', '--to-revision', '9')
      expect(badUndo.code).toBe(1)
      expect(badUndo.stderr).toMatch(/rollout resume has no revision 9\n.*known revisions: 1, 2, 3/)
    },
  )
})
