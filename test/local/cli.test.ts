/**
 * The CLI against a real daemon, as people use it: started on demand (and again after it was
 * killed), output piped into `head`, lists, the step list after a rollback, undo back to stable,
 * events, and the watch view. Each test asserts the exit code and what is printed.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { runKanari, type CliRun } from '../helpers/cli.js'
import { demoRollout } from '../helpers/manifests.js'
import { KANARI_BIN, alive, waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-cli-test-'))
const dirs = [stateDir]
const replicaPids = new Set<number>()

function kanariIn(dir: string, ...args: string[]): Promise<CliRun> {
  return runKanari([...args, '--state-dir', dir])
}

function kanari(...args: string[]): Promise<CliRun> {
  return kanariIn(stateDir, ...args)
}

/**
 * Runs kanari with its stdout read by a reader that goes away — at once, like `| true`, or after
 * the first chunk, like `| head -1` — and returns its exit code and stderr.
 */
function withReaderGone(
  args: string[],
  when: 'at once' | 'after the first chunk',
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [KANARI_BIN, ...args, '--state-dir', stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    if (when === 'at once') child.stdout.destroy()
    else child.stdout.once('data', () => child.stdout.destroy())
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}

function daemonPid(dir = stateDir): number {
  return (JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as { pid: number }).pid
}

async function view(name: string): Promise<RolloutView> {
  const res = await kanari('get', 'rollout', name, '-o', 'json')
  if (res.code !== 0) throw new Error(`get ${name} failed: ${res.stderr}`)
  const v = JSON.parse(res.stdout) as RolloutView
  for (const version of v.versions) for (const pid of version.pids) replicaPids.add(pid)
  return v
}

function viewWhen(name: string, ok: (v: RolloutView) => boolean, what: string) {
  return waitFor(
    async () => {
      const v = await view(name)
      return ok(v) ? v : undefined
    },
    what,
    30_000,
  )
}

/** A rollout of the demo app: 30%, pause, 60%, pause; `color` picks the revision. */
function manifest(name: string, color: string): string {
  const file = join(stateDir, `${name}.yaml`)
  const steps = '[{ setWeight: 30 }, { pause: {} }, { setWeight: 60 }, { pause: {} }]'
  writeFileSync(file, demoRollout(name, { env: { COLOR: color }, steps }))
  return file
}

beforeAll(async () => {
  const applied = await kanari('apply', '-f', manifest('web', 'blue'))
  expect(applied.code).toBe(0)
  expect(applied.stdout).toBe('rollout/web created (revision 1)\n')
  expect(applied.stderr).toMatch(
    /^started a Kanari daemon \(pid \d+, http:\/\/127\.0\.0\.1:\d+\); its state is in .*kanari-cli-test-/,
  )
  await viewWhen('web', (v) => v.status.phase === 'Healthy', 'web v1 Healthy')
}, 60_000)

afterAll(async () => {
  for (const dir of dirs) await kanariIn(dir, 'down')
  for (const pid of replicaPids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe('the CLI against a real daemon', () => {
  it('starts the daemon again on demand right after it was killed: a dead pid is no daemon', async () => {
    const killed = daemonPid()
    process.kill(killed, 'SIGKILL')
    const got = await kanari('get', 'rollout', 'web')
    expect(got.code).toBe(0)
    expect(got.stderr).toMatch(
      /^started a Kanari daemon \(pid \d+, http:\/\/127\.0\.0\.1:\d+\); its state is in .*kanari-cli-test-/,
    )
    expect(got.stderr).not.toContain(String(killed))
    expect(got.stdout).toMatch(/^Name: +web\nPhase: +Healthy/)
    expect(daemonPid()).not.toBe(killed)
    // Running now: the next command says nothing about starting one.
    const listed = await kanari('list')
    expect(listed.code).toBe(0)
    expect(listed.stderr).toBe('')
  })

  it('two `kanari up` at once: one starts the daemon, the other says it is already running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kanari-up-twice-'))
    dirs.push(dir)
    const runs = await Promise.all([kanariIn(dir, 'up'), kanariIn(dir, 'up')])
    expect(runs.map((r) => r.code)).toEqual([0, 0])
    expect(runs.map((r) => r.stderr)).toEqual(['', ''])
    const pid = daemonPid(dir)
    const [started, already] = runs.map((r) => r.stdout).sort((a, b) => b.localeCompare(a))
    expect(started).toMatch(
      new RegExp(`^daemon started \\(pid ${pid}, http://127\\.0\\.0\\.1:\\d+, state `),
    )
    expect(already).toMatch(
      new RegExp(`^daemon already running \\(pid ${pid}, http://127\\.0\\.0\\.1:\\d+, state `),
    )
  })

  it('output piped into a reader that stops early (`| head`) ends quietly with 0', async () => {
    for (const [args, when] of [
      [['logs', 'web'], 'at once'],
      [['get', 'rollout', 'web', '--watch'], 'at once'],
      [
        ['get', 'rollout', 'web', '--watch', '-o', 'json', '--interval', '0.2'],
        'after the first chunk',
      ],
    ] as const) {
      const res = await withReaderGone([...args], when)
      expect({ args, ...res }).toEqual({ args, code: 0, stderr: '' })
    }
  })

  it('apply and set env refuse PORT and names that are not variable names, changing nothing', async () => {
    const before = await view('web')
    const file = manifest('web', 'green')
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('COLOR: "green"', 'COLOR: "green", PORT: "9000"'),
    )
    const applied = await kanari('apply', '-f', file)
    expect(applied.code).toBe(1)
    expect(applied.stderr).toMatch(
      /web\.yaml:\d+ spec\.workload\.process\.env\.PORT: PORT is set by Kanari: each replica gets its own free port in PORT/,
    )
    expect(applied.stderr).toMatch(/nothing was changed/)
    const setEnv = await kanari('set', 'env', 'web', 'BAD KEY=1')
    expect(setEnv.code).toBe(1)
    expect(setEnv.stderr).toMatch(
      /^error: rollout web: "BAD KEY" is not an environment variable name/,
    )
    expect((await view('web')).revision).toBe(before.revision)
  })

  it('`get rollouts` and `get rollout` list, as kubectl does; list shows step N/M and who serves traffic', async () => {
    const listed = await kanari('list')
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(/^NAME +PHASE +STEP +STABLE +CANARY +TRAFFIC +SERVICE +MESSAGE\n/)
    // Nothing in flight: the stable revision serves all traffic (was "0%").
    expect(listed.stdout).toMatch(/\nweb +Healthy +— +1 +— +stable 100% +http:/)
    for (const args of [
      ['get', 'rollouts'],
      ['get', 'rollout'],
      ['get', 'ro'],
    ]) {
      const got = await kanari(...args)
      expect({ args, code: got.code, stdout: got.stdout }).toEqual({
        args,
        code: 0,
        stdout: listed.stdout,
      })
    }
    const json = await kanari('list', '-o', 'json')
    const item = (JSON.parse(json.stdout) as { items: Record<string, unknown>[] }).items[0]
    expect(item).toMatchObject({ stepIndex: 0, stepCount: 4, canaryWeight: 0, stableWeight: 100 })
    expect(item).not.toHaveProperty('step')

    expect((await kanari('set', 'env', 'web', 'COLOR=green')).code).toBe(0)
    await viewWhen('web', (v) => v.status.phase === 'Paused', 'web rev 2 paused at 30%')
    const paused = await kanari('get', 'rollouts')
    expect(paused.stdout).toMatch(/\nweb +Paused +2\/4 +1 +2 +stable 70%, canary 30% +http:/)
    const pausedJson = await kanari('list', '-o', 'json')
    expect((JSON.parse(pausedJson.stdout) as { items: unknown[] }).items[0]).toMatchObject({
      stepIndex: 1,
      stepCount: 4,
      canaryWeight: 30,
      stableWeight: 70,
    })
  })

  it('after an abort the step list marks the step it stopped at as failed (✗), not running', async () => {
    expect((await kanari('promote', 'web')).code).toBe(0)
    await viewWhen(
      'web',
      (v) => v.status.phase === 'Paused' && v.status.currentStepIndex === 3,
      'web paused at 60%',
    )
    const aborted = await kanari('abort', 'web')
    expect(aborted.code).toBe(0)
    expect(aborted.stdout).toMatch(/^rollout\/web aborted: RolledBack — /)
    const got = await kanari('get', 'rollout', 'web')
    expect(got.code).toBe(0)
    expect(got.stdout).toContain('Revisions:  stable 1 (canary revision 2 rolled back)\n')
    expect(got.stdout).toContain(
      [
        'Steps:',
        '  ✔  1  setWeight 30',
        '  ✔  2  pause (until promoted)',
        '  ✔  3  setWeight 60',
        '  ✗  4  pause (until promoted)  — rolled back: aborted by user',
      ].join('\n'),
    )
    expect(got.stdout).not.toContain('▶')
  })

  it('undo back to the stable revision says it reverted to it; `Last:` no longer shows the aborted one as current', async () => {
    const undo = await kanari('undo', 'web')
    expect(undo.code).toBe(0)
    expect(undo.stdout).toBe('rollout/web reverted to stable revision 1\n')
    await viewWhen(
      'web',
      (v) => v.status.phase === 'Healthy' && v.status.canaryRevision === null,
      'web back on revision 1',
    )
    const got = await kanari('get', 'rollout', 'web')
    expect(got.stdout).toContain(
      'Last:       reverted to stable revision 1 (before that, revision 2 RolledBack — aborted by user)\n',
    )
    expect(got.stdout).not.toMatch(/^Last: +revision 2/m)
    expect(got.stdout).not.toMatch(/^ +[✔✗▶] /m)
    const json = await kanari('undo', 'web', '--to-revision', '1', '-o', 'json')
    expect(JSON.parse(json.stdout)).toMatchObject({
      results: [{ name: 'web', revision: 1, result: 'unchanged' }],
    })
  })

  it('get --events N shows the latest N events; 0 shows all the daemon returns, beyond the view', async () => {
    expect((await kanari('set', 'env', 'web', 'COLOR=red')).code).toBe(0)
    await viewWhen('web', (v) => v.status.phase === 'Paused', 'web rev 3 paused at 30%')
    const { url, token } = JSON.parse(readFileSync(join(stateDir, 'api.json'), 'utf8')) as {
      url: string
      token: string
    }
    // Each pause and resume is recorded: enough events to pass the 50 a view carries.
    for (let i = 0; i < 20; i++)
      for (const command of ['pause', 'resume']) {
        const res = await fetch(`${url}/api/v1/rollouts/web/${command}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{}',
        })
        expect(res.status).toBe(200)
      }
    const stored = (await (await fetch(`${url}/api/v1/rollouts/web/events`)).json()) as {
      items: { message: string }[]
    }
    expect(stored.items.length).toBeGreaterThan(60)
    const shown = async (...args: string[]) => {
      const res = await kanari('get', 'rollout', 'web', ...args)
      expect(res.code).toBe(0)
      const lines = res.stdout.split('\n')
      const at = lines.findIndex((l) => l.startsWith('Events'))
      return {
        header: lines[at],
        events: lines.slice(at + 1).filter((l) => /^ {2}\d\d:\d\d:\d\d {2}/.test(l)),
      }
    }
    const byDefault = await shown()
    expect(byDefault.header).toBe('Events (latest 10; --events N shows more, --events 0 all):')
    expect(byDefault.events).toHaveLength(10)
    expect((await shown('--events', '3')).events).toHaveLength(3)
    expect((await shown('--events', '60')).events).toHaveLength(60)
    const all = await shown('--events', '0')
    expect(all.header).toBe('Events:')
    expect(all.events).toHaveLength(stored.items.length)
    expect(all.events.at(-1)).toContain(stored.items.at(-1)?.message)
    const bad = await kanari('get', 'rollout', 'web', '--events', '-2')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(
      /'--events <n>' argument '-2' is invalid\. Expected a whole number of events, 0 for all/,
    )
  })
})
