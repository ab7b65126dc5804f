/**
 * `kanari retry` after an abort, with real processes: the abort scales the canary's replicas down,
 * and the retry must start them again (the command changes the replicas wanted; the next tick starts
 * from the status the command saved, so the runner acts on the change itself), then the steps run
 * again and the canary can be promoted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { demoRollout } from '../helpers/manifests.js'
import { kanariIn, viewWhenIn, type CliResult } from '../helpers/kanari-cli.js'
import { alive, waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-retry-test-'))
const allPids = new Set<number>()

function kanari(...args: string[]): Promise<CliResult> {
  return kanariIn(stateDir, ...args)
}

function viewWhen(
  ok: (v: RolloutView) => boolean,
  what: string,
  timeoutMs = 45_000,
): Promise<RolloutView> {
  return viewWhenIn(
    stateDir,
    'again',
    (v) => {
      for (const version of v.versions) for (const pid of version.pids) allPids.add(pid)
      return ok(v)
    },
    what,
    timeoutMs,
  )
}

function canary(v: RolloutView): RolloutView['versions'][number] | undefined {
  return v.versions.find((x) => x.revision === 2)
}

async function colors(url: string, n: number): Promise<Record<string, number>> {
  const pool = new Pool(url, { connections: 4 })
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

beforeAll(async () => {
  expect((await kanari('up')).code).toBe(0)
}, 60_000)

afterAll(async () => {
  await kanari('down')
  for (const pid of allPids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

describe('retry after an abort (local mode)', () => {
  it(
    'starts the canary replicas the abort stopped, runs the steps again and promotes',
    { timeout: 180_000 },
    async () => {
      const file = join(stateDir, 'again.yaml')
      const manifest = (color: string): string =>
        demoRollout('again', {
          env: { COLOR: color },
          replicas: 2,
          steps: '[{ setWeight: 30 }, { pause: {} }]',
          progressDeadlineSeconds: 120,
        })
      writeFileSync(file, manifest('blue'))
      expect((await kanari('apply', '-f', file)).code).toBe(0)
      await viewWhen((v) => v.status.phase === 'Healthy', 'revision 1 Healthy')

      writeFileSync(file, manifest('green'))
      expect((await kanari('apply', '-f', file)).code).toBe(0)
      const paused = await viewWhen(
        (v) => v.status.phase === 'Paused' && (canary(v)?.ready ?? 0) === 2,
        'canary paused at 30% with 2 ready replicas',
      )
      const firstPids = canary(paused)?.pids ?? []
      expect(firstPids).toHaveLength(2)

      expect((await kanari('abort', 'again')).code).toBe(0)
      // abortScaleDownDelaySeconds: 0 — the canary's processes stop right after the rollback.
      const rolledBack = await viewWhen(
        (v) =>
          v.status.phase === 'RolledBack' &&
          (canary(v)?.desired ?? 0) === 0 &&
          (canary(v)?.pids.length ?? 0) === 0,
        'rolled back with the canary scaled down',
      )
      expect(rolledBack.status.traffic.canaryWeight).toBe(0)
      await waitFor(
        () => Promise.resolve(firstPids.every((pid) => !alive(pid))),
        'the aborted canary processes exit',
        30_000,
      )

      const retry = await kanari('retry', 'again')
      expect(retry.code).toBe(0)
      const again = await viewWhen(
        (v) =>
          v.status.phase === 'Paused' &&
          v.status.traffic.canaryWeight === 30 &&
          (canary(v)?.ready ?? 0) === 2,
        'the retried canary back at 30% with 2 ready replicas',
      )
      const newPids = canary(again)?.pids ?? []
      expect(newPids).toHaveLength(2)
      expect(newPids.some((pid) => firstPids.includes(pid))).toBe(false)
      const mixed = await colors(again.serviceUrl, 60)
      expect(mixed.green ?? 0).toBeGreaterThan(0)
      expect(mixed.blue ?? 0).toBeGreaterThan(0)

      expect((await kanari('promote', 'again')).code).toBe(0)
      const done = await viewWhen(
        (v) => v.status.phase === 'Healthy' && v.status.stableRevision === 2,
        'revision 2 promoted',
      )
      expect(done.status.canaryRevision).toBeNull()
      const after = await colors(done.serviceUrl, 30)
      expect(after).toEqual({ green: 30 })
    },
  )
})
