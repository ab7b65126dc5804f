/**
 * Local-mode faults through the real CLI and daemon processes: replicas that cannot start say why
 * (status message, typed event, logs); a full disk kills nothing — the service answers, the daemon
 * stays up and says state cannot be saved, replica output is dropped and counted (also while no
 * daemon runs), and the rollout goes on once there is room; a state directory that cannot be used
 * is refused with its cause and what to do.
 */
import { execFileSync } from 'node:child_process'
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../src/controller/ports.js'
import type { EventOf } from '../../src/engine/events.js'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import {
  callRelay,
  RELAY,
  relaySocketPath,
  type RelayStatus,
} from '../../src/local/supervisor/output-relay/protocol.js'
import { kanariIn, viewIn, viewWhenIn } from '../helpers/kanari-cli.js'
import { DEMO_APP, KANARI_BIN, alive, waitFor } from '../helpers/processes.js'

const isRoot = process.getuid?.() === 0
const cleanups: (() => Promise<void> | void)[] = []

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
}, 60_000)

/** A state directory for one test; `kanari down` and removal (and unmount) when the file is done. */
function stateDir(prefix: string, mount?: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), `kanari-${prefix}-`))
  if (mount !== undefined) execFileSync('mount', [...mount, dir])
  cleanups.push(async () => {
    await kanariIn(dir, 'down')
    if (mount !== undefined) execFileSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

function manifest(
  name: string,
  command: string[],
  options: { env?: Record<string, string>; deadlineSeconds?: number; readiness?: boolean } = {},
): string {
  const env = Object.entries(options.env ?? {})
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ')
  return `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: ${name} }
spec:
  replicas: 1
  workload:
    process:
      command: ${JSON.stringify(command)}
      env: { ${env} }
${options.readiness === false ? '' : '      readiness: { httpGet: /healthz }\n'}  service: { port: 0 }
  strategy:
    canary:
      steps: [{ setWeight: 50 }, { pause: {} }]
      abortScaleDownDelaySeconds: 0
      scaleDownDelaySeconds: 0
  progressDeadlineSeconds: ${options.deadlineSeconds ?? 120}
`
}

async function apply(dir: string, name: string, text: string): Promise<void> {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, text)
  const res = await kanariIn(dir, 'apply', '-f', file)
  expect(res.stderr).toBe('')
  expect(res.code).toBe(0)
}

function problemEvents(v: RolloutView): EventOf<'WorkloadProblem'>[] {
  return v.events.filter(
    (e): e is StoredEvent & EventOf<'WorkloadProblem'> => e.reason === 'WorkloadProblem',
  )
}

/** Waits for the rollout's WorkloadProblem event of `reason`; returns it with the view. */
async function problemReported(
  dir: string,
  name: string,
  reason: string,
  timeoutMs = 15_000,
): Promise<{ view: RolloutView; event: EventOf<'WorkloadProblem'> }> {
  const view = await viewWhenIn(
    dir,
    name,
    (v) => problemEvents(v).some((e) => e.problem.reason === reason),
    `a ${reason} event for ${name}`,
    timeoutMs,
  )
  const event = problemEvents(view).find((e) => e.problem.reason === reason)
  if (event === undefined) throw new Error('unreachable')
  return { view, event }
}

async function getThrough(url: string, n: number): Promise<Record<string, number>> {
  const pool = new Pool(url, { connections: 4 })
  const counts: Record<string, number> = {}
  try {
    for (let i = 0; i < n; i++) {
      const res = await pool.request({ path: '/color', method: 'GET' })
      const body = (await res.body.json()) as { color?: string }
      const key = res.statusCode === 200 ? (body.color ?? '?') : `status-${res.statusCode}`
      counts[key] = (counts[key] ?? 0) + 1
    }
  } finally {
    await pool.close()
  }
  return counts
}

/** Writes zeros into `file` until the disk refuses; the disk is then full. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w')
  const chunk = Buffer.alloc(256 * 1024)
  try {
    for (;;) writeSync(fd, chunk)
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC')
  } finally {
    closeSync(fd)
  }
}

function relayStatus(dir: string): Promise<RelayStatus> {
  return callRelay<RelayStatus>(relaySocketPath(dir), 'GET', RELAY.status, 5_000)
}

function daemonPid(dir: string): number {
  return (JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as { pid: number }).pid
}

/** A replica that answers HTTP and writes about 400 KB of log a second. */
const CHATTY = [
  process.execPath,
  '-e',
  `require('node:http').createServer((q, r) => r.end(JSON.stringify({ color: 'chatty' }))).listen(Number(process.env.PORT), '127.0.0.1'); setInterval(() => process.stdout.write('x'.repeat(2000) + '\\n'), 5)`,
]

describe('replicas that cannot start say why', () => {
  it('a command not found, an exit at start, no readiness: status message, typed event, logs', async () => {
    const dir = stateDir('faults')
    expect((await kanariIn(dir, 'up')).code).toBe(0)
    await apply(
      dir,
      'missing',
      manifest('missing', ['node-x-not-here', 'server.js'], { deadlineSeconds: 8 }),
    )
    await apply(
      dir,
      'exits',
      manifest('exits', [
        process.execPath,
        '-e',
        'console.error("boom: DATABASE_URL is not set"); process.exit(3)',
      ]),
    )
    await apply(
      dir,
      'deaf',
      manifest('deaf', [process.execPath, '-e', 'setInterval(() => {}, 1000)']),
    )

    const missing = await problemReported(dir, 'missing', 'CommandNotFound')
    expect(missing.view.status.phase).toBe('Initializing')
    expect(missing.view.status.message).toBe(
      'deploying revision 1 (0/1 ready): command node-x-not-here not found in PATH (spawn ENOENT)',
    )
    expect(missing.event).toMatchObject({ severity: 'error', revision: 1, role: 'stable' })
    expect(missing.event.problem.hint).toMatch(/fix spec\.workload\.process\.command/)
    expect(missing.event.message).toMatch(
      /^stable revision 1: command node-x-not-here not found in PATH \(spawn ENOENT\); fix spec\.workload\.process\.command/,
    )

    const exits = await problemReported(dir, 'exits', 'ExitedAtStart')
    expect(exits.event.problem.message).toMatch(
      /^replica 0 exited with code 3 \d+\.\ds after it started, before it was ready; last output: boom: DATABASE_URL is not set$/,
    )
    // By now it may have exited three times: a crash loop, which says the same facts.
    expect(exits.view.status.message).toMatch(
      /^deploying revision 1 \(0\/1 ready\): replica 0 (exited with code 3|keeps crashing: \d exits in the last minute, the last with code 3).*; last output: boom: DATABASE_URL is not set/,
    )
    expect(exits.event.problem.hint).toMatch(/`kanari logs exits`/)
    const logs = await kanariIn(dir, 'logs', 'exits')
    expect(logs.code).toBe(0)
    expect(logs.stdout).toContain('[0] boom: DATABASE_URL is not set')

    const deaf = await problemReported(dir, 'deaf', 'NotReady')
    expect(deaf.event.severity).toBe('warn')
    expect(deaf.view.status.message).toMatch(
      /^deploying revision 1 \(0\/1 ready\): replica 0 \(pid \d+\) has not passed readiness for \d+\.\ds: GET \/healthz on 127\.0\.0\.1:\d+ \(\$PORT\) — connection refused \(nothing listening\)$/,
    )
    expect(deaf.event.problem.hint).toMatch(/listen on 127\.0\.0\.1 at the port in \$PORT/)

    // Past its progress deadline the first revision says so, with the cause; each problem once.
    const late = await viewWhenIn(
      dir,
      'missing',
      (v) => v.events.some((e) => e.reason === 'ProgressDeadlineExceeded'),
      'the progress deadline of missing',
    )
    expect(late.events.find((e) => e.reason === 'ProgressDeadlineExceeded')).toMatchObject({
      problem: { reason: 'CommandNotFound' },
      message: expect.stringMatching(/not ready after 8s .*node-x-not-here not found/) as unknown,
    })
    expect(problemEvents(late).map((e) => e.problem.reason)).toEqual(['CommandNotFound'])
  }, 90_000)

  it('a canary that exits at start: an event names the cause, the rollback explains it, its logs stay', async () => {
    const dir = stateDir('faults-canary')
    expect((await kanariIn(dir, 'up')).code).toBe(0)
    await apply(dir, 'web', manifest('web', [process.execPath, DEMO_APP]))
    await viewWhenIn(dir, 'web', (v) => v.status.phase === 'Healthy', 'web v1 Healthy')
    await apply(
      dir,
      'web',
      manifest('web', [
        process.execPath,
        '-e',
        'console.error("canary boom: no such table"); process.exit(3)',
      ]),
    )
    const { event } = await problemReported(dir, 'web', 'ExitedAtStart')
    expect(event).toMatchObject({ revision: 2, role: 'canary', severity: 'error' })
    expect(event.message).toMatch(
      /^canary revision 2: replica 0 exited with code 3 \d+\.\ds after it started, before it was ready; last output: canary boom: no such table; its output: `kanari logs web` \(add --canary for a canary\)/,
    )
    const rolledBack = await viewWhenIn(
      dir,
      'web',
      (v) => v.status.phase === 'RolledBack',
      'the crash-looping canary rolled back',
    )
    const rollback = rolledBack.events.find((e) => e.reason === 'RolledBack')
    expect(rollback).toMatchObject({ cause: 'CrashLoop' })
    expect((rollback as EventOf<'RolledBack'> | undefined)?.explanation).toMatch(
      // the replica's problem as last seen: it exited before it was ever ready, or it keeps crashing
      /^canary revision 2 is crash-looping \(0\/1 ready\): replica 0 (exited with code 3 \d+\.\ds after it started, before it was ready|keeps crashing: .*); last output: .*canary boom: no such table$/,
    )
    // Scaled down at once (abortScaleDownDelaySeconds: 0), its output is still there to read.
    await viewWhenIn(
      dir,
      'web',
      (v) => v.versions.every((x) => x.revision !== 2 || x.desired === 0),
      'the canary scaled down',
    )
    const logs = await kanariIn(dir, 'logs', 'web', '--canary')
    expect(logs.code).toBe(0)
    expect(logs.stdout).toContain('[0] canary boom: no such table')
  }, 90_000)
})

describe.runIf(isRoot)('a full disk kills nothing', () => {
  it('the service answers, the daemon stays up and says why it cannot save; once there is room the rollout goes on', async () => {
    const dir = stateDir('full', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs'])
    const filler = join(dir, 'filler')
    expect((await kanariIn(dir, 'up')).code).toBe(0)
    const pid = daemonPid(dir)
    await apply(
      dir,
      'disk',
      manifest('disk', [process.execPath, DEMO_APP], { env: { COLOR: 'blue' } }),
    )
    await viewWhenIn(dir, 'disk', (v) => v.status.phase === 'Healthy', 'disk v1 Healthy')
    await apply(dir, 'disk', manifest('disk', CHATTY, { readiness: false }))
    const paused = await viewWhenIn(
      dir,
      'disk',
      (v) => v.status.phase === 'Paused' && v.status.canaryRevision === 2,
      'the chatty canary at 50%',
    )

    fillDisk(filler)
    // Replica output is dropped and counted, and every request is still answered.
    const counts = await getThrough(paused.serviceUrl, 60)
    expect((counts.blue ?? 0) + (counts.chatty ?? 0)).toBe(60)
    expect(counts.chatty ?? 0).toBeGreaterThan(0)
    const dropping = await viewWhenIn(
      dir,
      'disk',
      (v) => (v.versions.find((x) => x.revision === 2)?.droppedLogBytes ?? 0) > 100_000,
      'dropped canary output counted',
    )
    expect(dropping.versions.find((x) => x.revision === 2)?.ready).toBe(1)

    // A replica that dies is restarted although its record cannot be saved.
    const canaryPid = dropping.versions.find((x) => x.revision === 2)?.pids[0] ?? 0
    process.kill(canaryPid, 'SIGKILL')
    await viewWhenIn(
      dir,
      'disk',
      (v) => {
        const canary = v.versions.find((x) => x.revision === 2)
        return canary?.ready === 1 && canary.restarts >= 1 && !canary.pids.includes(canaryPid)
      },
      'the killed canary replica restarted',
    )

    // A command that must save state is refused, saying why; get says so too.
    const promote = await kanariIn(dir, 'promote', 'disk')
    expect(promote.code).toBe(6)
    expect(promote.stderr).toMatch(
      new RegExp(
        `cannot save Kanari's state: disk full \\(SQLITE_FULL\\) writing ${dir}/kanari\\.db`,
      ),
    )
    expect(promote.stderr).toMatch(/free space on that disk/)
    const full = await viewIn(dir, 'disk')
    expect(full.daemon).toEqual({
      stateWritable: false,
      problem: `disk full (SQLITE_FULL) writing ${dir}/kanari.db — free space; Kanari retries every tick`,
    })
    expect(full.status.phase).toBe('Paused')
    const table = await kanariIn(dir, 'get', 'disk')
    expect(table.stdout).toMatch(/Daemon: +state cannot be saved: disk full \(SQLITE_FULL\)/)
    const listed = await kanariIn(dir, 'list')
    expect(listed.stdout).toMatch(/\nDaemon: state cannot be saved: disk full \(SQLITE_FULL\)/)
    expect(table.stdout).toMatch(
      /Logs: +\d+ bytes of replica output dropped \(the disk refused them\); dropping now: ENOSPC, the disk is full or nearly full/,
    )
    expect(alive(pid)).toBe(true)
    expect(await getThrough(paused.serviceUrl, 20)).not.toHaveProperty('status-502')

    // Room again: the next write goes through and the rollout goes on.
    rmSync(filler)
    await viewWhenIn(dir, 'disk', (v) => v.daemon.stateWritable, 'state writable again', 10_000)
    const promoted = await kanariIn(dir, 'promote', 'disk')
    expect(promoted.stderr).toBe('')
    expect(promoted.code).toBe(0)
    const done = await viewWhenIn(
      dir,
      'disk',
      (v) => v.status.phase === 'Healthy' && v.status.stableRevision === 2,
      'the chatty revision promoted',
    )
    expect(await getThrough(done.serviceUrl, 10)).toEqual({ chatty: 10 })
    expect(alive(pid)).toBe(true)
    expect(daemonPid(dir)).toBe(pid)
  }, 180_000)

  it('with the disk full and no daemon, the output relay goes on dropping and counting; the next daemon shows the count', async () => {
    const dir = stateDir('full-relay', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs'])
    const filler = join(dir, 'filler')
    expect((await kanariIn(dir, 'up')).code).toBe(0)
    await apply(dir, 'noisy', manifest('noisy', CHATTY, { readiness: false }))
    const healthy = await viewWhenIn(
      dir,
      'noisy',
      (v) => v.status.phase === 'Healthy',
      'noisy Healthy',
    )
    const relay = await relayStatus(dir)
    const logPath = join(dir, 'logs', 'noisy@1', '0.log')

    fillDisk(filler)
    const dropping = await viewWhenIn(
      dir,
      'noisy',
      (v) => (v.versions[0]?.droppedLogBytes ?? 0) > 100_000,
      'dropped output counted',
    )
    // The relay is the one that copies, drops and counts.
    const counted = (await relayStatus(dir)).logs[logPath]
    expect(counted).toMatchObject({ dropReason: 'ENOSPC' })
    expect(counted?.droppedBytes ?? 0).toBeGreaterThanOrEqual(
      dropping.versions[0]?.droppedLogBytes ?? 0,
    )

    const pid = daemonPid(dir)
    process.kill(pid, 'SIGKILL')
    await waitFor(() => !alive(pid), 'the daemon to die')
    const atKill = (await relayStatus(dir)).logs[logPath]?.droppedBytes ?? 0
    // No daemon: the replica answers, and its output goes on being dropped and counted.
    expect(await getThrough(healthy.serviceUrl, 30)).toEqual({ chatty: 30 })
    await waitFor(
      async () => ((await relayStatus(dir)).logs[logPath]?.droppedBytes ?? 0) > atKill + 100_000,
      'the relay to count with no daemon',
    )

    // The next command starts a daemon, which adopts the relay and shows its count.
    const back = await viewIn(dir, 'noisy')
    expect(daemonPid(dir)).not.toBe(pid)
    expect(back.versions[0]?.droppedLogBytes ?? 0).toBeGreaterThan(atKill + 100_000)
    expect(back.versions[0]?.logDropReason).toBe('ENOSPC')
    const table = await kanariIn(dir, 'get', 'noisy')
    expect(table.stdout).toMatch(
      /Logs: +\d+ bytes of replica output dropped.*; dropping now: ENOSPC/,
    )
    const now = await relayStatus(dir)
    expect(now.pid).toBe(relay.pid)

    // Room again: the log is written again, and the count stays.
    rmSync(filler)
    await waitFor(
      async () => (await relayStatus(dir)).logs[logPath]?.dropReason === undefined,
      'writes to the log to succeed again',
    )
    const after = await viewWhenIn(
      dir,
      'noisy',
      (v) => v.versions[0]?.logDropReason === undefined,
      'the view to stop saying output is being dropped',
    )
    expect(after.versions[0]?.droppedLogBytes ?? 0).toBeGreaterThan(atKill + 100_000)
    expect((await kanariIn(dir, 'get', 'noisy')).stdout).not.toMatch(/dropping now/)
  }, 180_000)

  it('`kanari up` on a full disk starts, serves, and says state cannot be saved', async () => {
    const dir = stateDir('full-up', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs'])
    const filler = join(dir, 'filler')
    expect((await kanariIn(dir, 'up')).code).toBe(0)
    await apply(
      dir,
      'quiet',
      manifest('quiet', [process.execPath, DEMO_APP], { env: { COLOR: 'blue' } }),
    )
    await viewWhenIn(dir, 'quiet', (v) => v.status.phase === 'Healthy', 'quiet Healthy')
    expect((await kanariIn(dir, 'down')).code).toBe(0)

    fillDisk(filler)
    const up = await kanariIn(dir, 'up')
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)
    expect(up.stdout).toMatch(
      /^daemon started .*\nwarning: state cannot be saved: disk full \(ENOSPC\): \d+ KiB free for .*; Kanari saves state once 512 KiB are free/,
    )
    const view = await viewWhenIn(
      dir,
      'quiet',
      (v) => v.versions.some((x) => x.ready === 1),
      'quiet serving again',
    )
    expect(view.daemon.stateWritable).toBe(false)
    expect(await getThrough(view.serviceUrl, 10)).toEqual({ blue: 10 })

    rmSync(filler)
    await viewWhenIn(dir, 'quiet', (v) => v.daemon.stateWritable, 'state writable again', 10_000)
  }, 120_000)
})

describe('a state directory that cannot be used', () => {
  it.runIf(isRoot)('read-only: exit 1, the cause and what to do, no stack trace', async () => {
    const dir = stateDir('ro', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs'])
    const up = await kanariIn(dir, 'up')
    expect(up.code).toBe(1)
    expect(up.stderr).toBe(
      `error: state directory ${dir} cannot be used: cannot write in ${dir} (EROFS: read-only file system)\n` +
        '  → use a writable directory: --state-dir DIR or KANARI_STATE_DIR=DIR\n',
    )
    const nested = join(dir, 'sub', 'state')
    const upNested = await kanariIn(nested, 'up', '-o', 'json')
    expect(upNested.code).toBe(1)
    expect(JSON.parse(upNested.stdout)).toEqual({
      error: {
        code: 'KANARI_INVALID_INPUT',
        message: `state directory ${nested} cannot be used: cannot create ${dir}/sub (EROFS: read-only file system)`,
        hint: 'use a writable directory: --state-dir DIR or KANARI_STATE_DIR=DIR',
      },
    })
  })

  it('a file in the way: ENOTDIR', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'kanari-notdir-'))
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }))
    const file = join(parent, 'state')
    writeFileSync(file, 'not a directory')
    for (const dir of [file, join(file, 'deeper')]) {
      const up = await kanariIn(dir, 'up')
      expect(up.code).toBe(1)
      expect(up.stderr).toBe(
        `error: state directory ${dir} cannot be used: ${file} is a file (ENOTDIR: not a directory)\n` +
          '  → use a writable directory: --state-dir DIR or KANARI_STATE_DIR=DIR\n',
      )
    }
  })

  it.runIf(isRoot)('no permission (as user nobody): EACCES', () => {
    const parent = mkdtempSync(join(tmpdir(), 'kanari-eacces-'))
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }))
    execFileSync('chmod', ['755', parent])
    const dir = join(parent, 'state')
    let stderr = ''
    let status: number | null = 0
    try {
      execFileSync(
        'runuser',
        ['-u', 'nobody', '--', process.execPath, KANARI_BIN, 'up', '--state-dir', dir],
        {
          env: { ...process.env, USER: 'nobody', HOME: parent },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
    } catch (err) {
      const e = err as { status: number | null; stderr: Buffer }
      status = e.status
      stderr = e.stderr.toString()
    }
    expect(status).toBe(1)
    expect(stderr).toBe(
      `error: state directory ${dir} cannot be used: cannot create ${dir} (EACCES: permission denied for user nobody)\n` +
        '  → give nobody write access to it, or use another directory: --state-dir DIR or KANARI_STATE_DIR=DIR\n',
    )
  })
})
