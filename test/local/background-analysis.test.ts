/**
 * No data means no promotion, with real processes: a canary failing 40% of its requests, pause steps
 * that end long before a background analysis has its minimum sample at a light load, and no analysis
 * step. The rollout waits at the end of a pause for the analysis's data, and the analysis rolls it
 * back; it is never promoted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runLoad } from '../../src/local/load/index.js'
import { kanariIn, viewIn, viewWhenIn } from '../helpers/kanari-cli.js'
import { demoRollout } from '../helpers/manifests.js'
import { alive } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-background-test-'))
const pids = new Set<number>()

beforeAll(async () => {
  expect((await kanariIn(stateDir, 'up', '-o', 'json')).code).toBe(0)
}, 60_000)

afterAll(async () => {
  await kanariIn(stateDir, 'down')
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

function manifest(env: Record<string, string>): string {
  const file = join(stateDir, 'bg-analysis.yaml')
  writeFileSync(
    file,
    demoRollout('bg-analysis', {
      env,
      replicas: 1,
      steps:
        '[{ setWeight: 20 }, { pause: { duration: 3s } }, { setWeight: 50 }, { pause: { duration: 3s } }]',
      progressDeadlineSeconds: 300,
      extra: `  analysis:
    minCanaryRequests: 100
    metrics:
      - name: error-rate
        thresholdRange: { max: 5 }
`,
    }),
  )
  return file
}

describe('background analysis with pause steps', () => {
  it('rolls back a canary failing 40% instead of promoting it when the pauses end before the analysis has its data', async () => {
    expect((await kanariIn(stateDir, 'apply', '-f', manifest({ COLOR: 'blue' }))).code).toBe(0)
    const first = await viewWhenIn(
      stateDir,
      'bg-analysis',
      (v) => v.status.phase === 'Healthy',
      'v1 Healthy',
      60_000,
    )
    const stop = new AbortController()
    // A light, bounded load: about one canary request a second at 20%.
    const load = runLoad({
      url: `${first.serviceUrl}/color`,
      rps: 5,
      durationMs: 150_000,
      concurrencyCap: 5,
      signal: stop.signal,
    })
    const messages = new Set<string>()
    try {
      const applied = await kanariIn(
        stateDir,
        'apply',
        '-f',
        manifest({ COLOR: 'green', ERROR_RATE: '40' }),
      )
      expect(applied.code).toBe(0)
      const done = await viewWhenIn(
        stateDir,
        'bg-analysis',
        (v) => {
          for (const version of v.versions) for (const pid of version.pids) pids.add(pid)
          messages.add(v.status.message)
          return (
            v.status.phase === 'RolledBack' ||
            (v.status.phase === 'Healthy' && v.status.stableRevision === 2)
          )
        },
        'the canary decided',
        150_000,
      )
      expect(done.status.message).toMatch(/rolled back/)
      expect(done.status.phase).toBe('RolledBack')
      expect(done.status.stableRevision).toBe(1)
      expect(done.status.lastOutcome).toMatchObject({ revision: 2, result: 'RolledBack' })
      expect(done.status.lastOutcome?.reason).toMatch(
        /^background analysis failed: canary error rate/,
      )
      const after = await viewIn(stateDir, 'bg-analysis')
      expect(after.status.stableRevision).toBe(1)
    } finally {
      stop.abort()
      await load
    }
    // The status said why it stood still while the data came in (polled, so seen at least once
    // unless the analysis failed before the first pause ended).
    const waited = [...messages].some((m) => m.startsWith('waiting for background analysis data'))
    const failedEarly = [...messages].every((m) => !m.startsWith('pausing 3s at 50%'))
    expect(waited || failedEarly).toBe(true)
  }, 240_000)
})
