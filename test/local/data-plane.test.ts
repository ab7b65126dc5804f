/**
 * The service outlives the daemon: each rollout's proxy is a process of its own. Killing the daemon
 * with -9 mid-rollout, under steady load through the proxy, fails no user request; the next daemon
 * adopts the proxy with its routing and its counters, and the rollout goes on from the same step.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { runLoad, type LoadResult } from '../../src/local/load/index.js'
import { DEMO_APP, KANARI_BIN, alive, waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-data-plane-'))
const pids = new Set<number>()

function kanari(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [KANARI_BIN, ...args, '--state-dir', stateDir],
      { timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
          stdout,
          stderr,
        }),
    )
  })
}

async function view(): Promise<RolloutView> {
  const res = await kanari('get', 'rollout', 'steady', '-o', 'json')
  if (res.code !== 0) throw new Error(`get failed: ${res.stderr}`)
  const v = JSON.parse(res.stdout) as RolloutView
  for (const version of v.versions) for (const pid of version.pids) pids.add(pid)
  if (v.proxyPid !== undefined) pids.add(v.proxyPid)
  return v
}

function daemonPid(): number {
  return (JSON.parse(readFileSync(join(stateDir, 'api.json'), 'utf8')) as { pid: number }).pid
}

afterAll(async () => {
  await kanari('down')
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

describe('data plane apart from the control plane', () => {
  it('refuses a service port another program holds, and stores nothing', async () => {
    // With a daemon already up, the check before starting one is skipped: this is the daemon's own
    // refusal when its proxy cannot listen (apply-preflight.test.ts proves the check without one).
    expect((await kanari('up')).code).toBe(0)
    const squatter = createServer()
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()))
    const port = (squatter.address() as AddressInfo).port
    const file = join(stateDir, 'taken.yaml')
    writeFileSync(
      file,
      `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: taken }
spec:
  workload:
    process:
      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(DEMO_APP)}]
      env: { COLOR: blue }
  service: { port: ${port} }
  strategy: { canary: { steps: [{ setWeight: 50 }] } }
`,
    )
    const res = await kanari('apply', '-f', file)
    squatter.close()
    expect(res.code).toBe(4)
    expect(res.stderr).toContain(`spec.service.port ${port} is taken by another program`)
    expect(res.stderr).toMatch(/free the port or pick another spec.service.port/)
    expect(res.stderr).not.toMatch(/\n\s+at /)
    const list = await kanari('list', '-o', 'json')
    expect(JSON.parse(list.stdout)).toMatchObject({ items: [] })
    const get = await kanari('get', 'rollout', 'taken')
    expect(get.code).toBe(3)
  })

  it(
    'serves every request while the daemon is killed and restarted mid-rollout',
    { timeout: 120_000 },
    async () => {
      const file = join(stateDir, 'steady.yaml')
      writeFileSync(
        file,
        `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: steady }
spec:
  replicas: 2
  workload:
    process:
      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(DEMO_APP)}]
      env: { COLOR: blue }
      readiness: { httpGet: /healthz }
  service: { port: 0 }
  strategy:
    canary:
      steps: [{ setWeight: 30 }, { pause: {} }]
  progressDeadlineSeconds: 120
`,
      )
      expect((await kanari('apply', '-f', file)).code).toBe(0)
      await waitFor(async () => (await view()).status.phase === 'Healthy', 'v1 healthy', 30_000)
      expect((await kanari('set', 'env', 'steady', 'COLOR=green')).code).toBe(0)
      const paused = await waitFor(
        async () => {
          const v = await view()
          return v.status.phase === 'Paused' ? v : undefined
        },
        'canary paused at 30%',
        30_000,
      )
      const proxyPid = paused.proxyPid
      expect(proxyPid).toBeGreaterThan(0)

      const servedAtStart = paused.versions.reduce((n, v) => n + v.requests, 0)
      // Steady load through the proxy for the whole kill and restart.
      const results: LoadResult[] = []
      const load = runLoad({
        url: `${paused.serviceUrl}/color`,
        rps: 40,
        durationMs: 12_000,
        concurrencyCap: 100,
        onResult: (r) => results.push(r),
      })
      await new Promise((r) => setTimeout(r, 2500))
      const before = await view()
      const servedBefore = before.versions.reduce((n, v) => n + v.requests, 0)
      expect(servedBefore).toBeGreaterThan(0)

      const pid = daemonPid()
      process.kill(pid, 'SIGKILL')
      await waitFor(() => !alive(pid), 'the daemon to die')
      expect(alive(proxyPid ?? 0)).toBe(true)
      await new Promise((r) => setTimeout(r, 3000))

      // The next command (here `get`) brings a daemon back; it adopts the same proxy process.
      const resumed = await view()
      expect(resumed.proxyPid).toBe(proxyPid)
      expect(resumed.status).toMatchObject({
        phase: 'Paused',
        currentStepIndex: 1,
        canaryRevision: 2,
        traffic: { canaryWeight: 30 },
      })
      await load
      const served = results.length
      const failed = results.filter((r) => r.status === 0 || r.status >= 500)
      expect(served).toBeGreaterThan(400)
      expect(failed).toEqual([])
      // Counters went on in the proxy process: nothing restarted from zero.
      await new Promise((r) => setTimeout(r, 1500))
      const after = await view()
      const servedAfter = after.versions.reduce((n, v) => n + v.requests, 0)
      expect(servedAfter).toBeGreaterThanOrEqual(servedAtStart + served)
      console.log(
        `data plane: ${served} requests during kill -9 and restart, ${failed.length} failed; counters ${servedBefore} → ${servedAfter}`,
      )

      // The rollout goes on.
      expect((await kanari('promote', 'steady')).code).toBe(0)
      await waitFor(async () => (await view()).status.stableRevision === 2, 'promotion', 30_000)
      expect((await kanari('down')).code).toBe(0)
      await waitFor(() => !alive(proxyPid ?? 0), 'the proxy to stop with `kanari down`', 15_000)
    },
  )
  it('starts a proxy that died again, on the same port', { timeout: 60_000 }, async () => {
    // the daemon stopped by the last test resumes the promoted rollout with a new proxy
    expect((await kanari('up')).code).toBe(0)
    const healthy = await waitFor(
      async () => {
        const v = await view()
        return v.status.phase === 'Healthy' && v.proxyPid !== undefined ? v : undefined
      },
      'healthy with a proxy',
      30_000,
    )
    const first = healthy.proxyPid ?? 0
    process.kill(first, 'SIGKILL')
    await waitFor(() => !alive(first), 'the proxy to die')
    const replaced = await waitFor(
      async () => {
        const v = await view()
        return v.proxyPid !== undefined && v.proxyPid !== first ? v : undefined
      },
      'a new proxy',
      15_000,
    )
    expect(replaced.serviceUrl).toBe(healthy.serviceUrl)
    const res = await fetch(`${replaced.serviceUrl}/color`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { color: string }).color).toBe('green')
  })
})
