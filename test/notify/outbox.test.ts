/**
 * Messages the daemon queued but had not sent when it was killed with -9 are sent by the next daemon:
 * the receiver is down while the first daemon tries, the daemon dies, the receiver comes up, and the
 * new daemon delivers every kept message, in order, once. The counts go on across both restarts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { daemonLogPath } from '../../src/local/daemon/paths.js'
import { downUrl, startReceiver, type Receiver } from '../../src/notify/test-utils/receivers.js'
import { kanariIn, viewIn, viewWhenIn } from '../helpers/kanari-cli.js'
import { DEMO_APP, alive, waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-outbox-test-'))
const kanari = (...args: string[]) => kanariIn(stateDir, ...args)
const pids = new Set<number>()
let receiver: Receiver | undefined

afterAll(async () => {
  await kanari('down')
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  await receiver?.close()
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

describe('the notification outbox', () => {
  it(
    'sends after a restart what a daemon killed with -9 had queued, in order',
    { timeout: 120_000 },
    async () => {
      const urlFile = join(stateDir, 'hook-url')
      writeFileSync(urlFile, (await downUrl('webhook')).url)
      const file = join(stateDir, 'outbox.yaml')
      writeFileSync(
        file,
        `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: outbox }
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
      steps: [{ setWeight: 50 }, { pause: {} }]
  notifications:
    - { name: audit, provider: webhook, urlFrom: { file: hook-url }, retries: 10, events: [Initialized, NewRevision, TrafficShifted, Paused] }
`,
      )
      const up = await kanari('up', '-o', 'json')
      expect(up.code, up.stderr).toBe(0)
      const daemonPid = (JSON.parse(up.stdout) as { pid: number }).pid
      expect((await kanari('apply', '-f', file)).code).toBe(0)
      await viewWhenIn(
        stateDir,
        'outbox',
        (v) => v.status.phase === 'Healthy',
        'revision 1',
        60_000,
      )
      expect((await kanari('set', 'env', 'outbox', 'COLOR=green')).code).toBe(0)
      const paused = await viewWhenIn(
        stateDir,
        'outbox',
        (v) => v.status.phase === 'Paused',
        'revision 2 paused at 50%',
        60_000,
      )
      for (const version of paused.versions) for (const pid of version.pids) pids.add(pid)
      const expected = paused.events
        .map((e) => e.reason)
        .filter((r) => ['Initialized', 'NewRevision', 'TrafficShifted', 'Paused'].includes(r))
      expect(expected).toEqual(expect.arrayContaining(['NewRevision', 'TrafficShifted', 'Paused']))
      expect(paused.notifications.find((n) => n.name === 'audit')).toMatchObject({
        sent: 0,
        dropped: 0,
        queued: expected.length,
      })

      process.kill(daemonPid, 'SIGKILL')
      await waitFor(() => !alive(daemonPid), 'the daemon to die')
      receiver = await startReceiver('webhook')
      writeFileSync(urlFile, receiver.url)

      const again = await kanari('up', '-o', 'json')
      expect(again.code, again.stderr).toBe(0)
      const hook = receiver
      const log = () => {
        try {
          return readFileSync(daemonLogPath(stateDir), 'utf8')
            .split('\n')
            .filter((l) => /notification/.test(l))
            .join('\n')
        } catch {
          return ''
        }
      }
      await waitFor(
        () => hook.accepted().length >= expected.length,
        `the ${expected.length} kept messages at the receiver`,
        30_000,
      ).catch((err: unknown) => {
        const got = hook.accepted().map((b) => (b as { reason: string }).reason)
        throw new Error(
          `${err instanceof Error ? err.message : String(err)}; got ${JSON.stringify(got)}; daemon log:\n${log()}`,
        )
      })
      // Nothing more arrives: each kept message is sent once.
      await new Promise((r) => setTimeout(r, 1000))
      const got = hook.accepted() as { rollout: string; reason: string; revision: number }[]
      expect(got.map((b) => b.reason)).toEqual(expected)
      expect(got.every((b) => b.rollout === 'outbox')).toBe(true)
      expect(hook.requests.map((q) => q.problems)).toEqual(expected.map(() => []))
      const after = await viewIn(stateDir, 'outbox')
      const counted = after.notifications.find((n) => n.name === 'audit')
      expect(counted).toMatchObject({ sent: expected.length, queued: 0, dropped: 0 })
      // the first daemon's attempts at the receiver that was down are still counted
      const triedBefore = paused.notifications.find((n) => n.name === 'audit')?.retries ?? 0
      expect(counted?.retries ?? 0).toBeGreaterThanOrEqual(triedBefore)

      // The counts outlive this daemon too: killed with -9, the next one shows the same.
      const secondPid = (JSON.parse(again.stdout) as { pid: number }).pid
      process.kill(secondPid, 'SIGKILL')
      await waitFor(() => !alive(secondPid), 'the second daemon to die')
      const third = await viewIn(stateDir, 'outbox')
      expect(third.notifications.find((n) => n.name === 'audit')).toMatchObject({
        sent: expected.length,
        failed: 0,
        retries: counted?.retries,
        queued: 0,
      })
      expect(hook.accepted()).toHaveLength(expected.length)
    },
  )
})
