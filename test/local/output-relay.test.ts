/**
 * A chatty replica goes on answering while no daemon runs: its output goes through a FIFO that the
 * state directory's output relay, a process of its own, keeps draining into the log. Without it the
 * FIFO's 64 KiB fill in a fraction of a second, the replica's next write waits, and the app stops
 * answering users although its proxy runs. After the next command restarts the daemon, the log and
 * the problem reports work as before; `kanari down` stops the relay with everything else.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../src/controller/ports.js'
import type { EventOf } from '../../src/engine/events.js'
import {
  callRelay,
  RELAY,
  relaySocketPath,
  type RelayStatus,
} from '../../src/local/supervisor/output-relay/protocol.js'
import { kanariIn, viewIn, viewWhenIn } from '../helpers/kanari-cli.js'
import { alive, waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-output-relay-'))
const pids = new Set<number>()

afterAll(async () => {
  await kanariIn(stateDir, 'down')
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

/**
 * Answers every request with how many it has answered, and writes about 800 KB of numbered log
 * lines a second, far more than a FIFO holds. It writes as most runtimes do (Python's print, Go's
 * os.Stdout, C's stdio): a blocking write(2) to its stdout, which waits while the FIFO is full. Node
 * makes its own stdout non-blocking and queues in memory instead, so the script opens its stdout
 * again, blocking, to write as they do.
 */
const CHATTY = `const fs = require('node:fs')
const out = fs.openSync('/proc/self/fd/1', 'w')
let served = 0
let seq = 0
require('node:http')
  .createServer((q, r) => r.end(JSON.stringify({ color: 'chatty', served: ++served })))
  .listen(Number(process.env.PORT), '127.0.0.1')
const pad = 'x'.repeat(2000)
setInterval(() => {
  for (let k = 0; k < 4; k++) fs.writeSync(out, 'line ' + seq++ + ' ' + pad + '\\n')
}, 10)`

function manifest(command: string[]): string {
  return `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: chatty }
spec:
  replicas: 1
  workload:
    process:
      command: ${JSON.stringify(command)}
      readiness: { httpGet: /healthz }
  service: { port: 0 }
  strategy:
    canary:
      steps: [{ setWeight: 50 }, { pause: {} }]
      abortScaleDownDelaySeconds: 0
  progressDeadlineSeconds: 120
`
}

function daemonPid(): number {
  return (JSON.parse(readFileSync(join(stateDir, 'api.json'), 'utf8')) as { pid: number }).pid
}

/** The number of the last whole line in the chatty replica's log (the log starts over at 4 MiB). */
function lastLogged(): number {
  const text = readFileSync(join(stateDir, 'logs', 'chatty@1', '0.log'), 'utf8')
  const lines = text.slice(-16 * 1024).split('\n')
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^line (\d+) x+$/.exec(lines[i] ?? '')
    if (m !== null) return Number(m[1])
  }
  return -1
}

interface Answers {
  ok: number
  failed: string[]
  /** The replica's own count of requests answered, from the last answer. */
  served: number
}

/** Requests through the proxy, one at a time every 20 ms, for `ms`. */
async function requestFor(url: string, ms: number): Promise<Answers> {
  const pool = new Pool(url, { connections: 1, headersTimeout: 5_000, bodyTimeout: 5_000 })
  const answers: Answers = { ok: 0, failed: [], served: 0 }
  const until = Date.now() + ms
  try {
    while (Date.now() < until) {
      try {
        const res = await pool.request({ path: '/color', method: 'GET' })
        const text = await res.body.text()
        if (res.statusCode !== 200) answers.failed.push(`HTTP ${res.statusCode}: ${text}`)
        else {
          answers.ok++
          answers.served = (JSON.parse(text) as { served: number }).served
        }
      } catch (err) {
        answers.failed.push((err as Error).message)
      }
      await new Promise((r) => setTimeout(r, 20))
    }
  } finally {
    await pool.close()
  }
  return answers
}

function relayStatus(): Promise<RelayStatus> {
  return callRelay<RelayStatus>(relaySocketPath(stateDir), 'GET', RELAY.status, 5_000)
}

describe('a chatty replica while no daemon runs', () => {
  it('goes on answering through the proxy, its log goes on growing, and all works after the restart', async () => {
    const file = join(stateDir, 'chatty.yaml')
    writeFileSync(file, manifest([process.execPath, '-e', CHATTY]))
    const applied = await kanariIn(stateDir, 'apply', '-f', file)
    expect(applied.code, applied.stderr).toBe(0)
    const healthy = await viewWhenIn(
      stateDir,
      'chatty',
      (v) => v.status.phase === 'Healthy',
      'chatty Healthy',
    )
    for (const pid of healthy.versions.flatMap((v) => v.pids)) pids.add(pid)
    if (healthy.proxyPid !== undefined) pids.add(healthy.proxyPid)
    const replica = healthy.versions[0]?.pids[0] ?? 0
    const relay = (await relayStatus()).pid
    pids.add(relay)
    expect(alive(relay)).toBe(true)
    const warm = await requestFor(healthy.serviceUrl, 1_000)
    expect(warm.failed).toEqual([])

    const daemon = daemonPid()
    process.kill(daemon, 'SIGKILL')
    await waitFor(() => !alive(daemon), 'the daemon to die')
    const loggedAtKill = lastLogged()

    // Six seconds with no daemon: at 800 KB/s the FIFO's 64 KiB would be full within 0.1 s.
    const meanwhile = await requestFor(healthy.serviceUrl, 6_000)
    const loggedAfter = lastLogged()
    expect(alive(daemon)).toBe(false)
    expect(meanwhile.failed).toEqual([])
    expect(meanwhile.ok).toBeGreaterThan(50)
    // The replica itself answered them: its own count went on.
    expect(meanwhile.served - warm.served).toBeGreaterThanOrEqual(meanwhile.ok)
    // …and wrote on: about 400 lines a second reached its log.
    expect(loggedAfter - loggedAtKill).toBeGreaterThan(1_000)
    expect(alive(replica)).toBe(true)
    expect(alive(relay)).toBe(true)
    console.log(
      `no daemon for 6s: ${meanwhile.ok} requests answered by the replica, ${meanwhile.failed.length} failed; ${loggedAfter - loggedAtKill} log lines relayed`,
    )

    // The next command starts a daemon, which adopts the same relay; logs read as before.
    const back = await viewIn(stateDir, 'chatty')
    expect(back.status.phase).toBe('Healthy')
    expect(daemonPid()).not.toBe(daemon)
    pids.add(daemonPid())
    expect((await relayStatus()).pid).toBe(relay)
    expect(back.versions[0]).toMatchObject({ pids: [replica], droppedLogBytes: 0 })
    const logs = await kanariIn(stateDir, 'logs', 'chatty', '--tail', '3')
    expect(logs.code).toBe(0)
    const shown = logs.stdout
      .trim()
      .split('\n')
      .map((l) => Number(/^\[0\] line (\d+) x+$/.exec(l)?.[1]))
    expect(shown).toHaveLength(3)
    expect(Math.min(...shown)).toBeGreaterThan(loggedAfter)

    // Problem reports quote a replica's last words as before.
    writeFileSync(
      file,
      manifest([
        process.execPath,
        '-e',
        'console.error("boom: the config is missing"); process.exit(3)',
      ]),
    )
    expect((await kanariIn(stateDir, 'apply', '-f', file)).code).toBe(0)
    const failing = await viewWhenIn(
      stateDir,
      'chatty',
      (v) => v.events.some((e) => e.reason === 'WorkloadProblem' && e.revision === 2),
      'a problem reported for revision 2',
    )
    const problem = failing.events.find(
      (e): e is StoredEvent & EventOf<'WorkloadProblem'> =>
        e.reason === 'WorkloadProblem' && e.revision === 2,
    )
    expect(problem?.problem.message).toMatch(
      /^replica 0 (exited with code 3 \d+\.\ds after it started, before it was ready|keeps crashing: .*); last output: boom: the config is missing$/,
    )
    const canaryLogs = await kanariIn(stateDir, 'logs', 'chatty', '--canary')
    expect(canaryLogs.stdout).toContain('[0] boom: the config is missing')

    // `kanari down` stops the replicas, and the relay with them.
    expect((await kanariIn(stateDir, 'down')).code).toBe(0)
    await waitFor(() => !alive(replica), 'the replica to stop')
    await waitFor(() => !alive(relay), 'the relay to stop', 15_000)
    expect(existsSync(relaySocketPath(stateDir))).toBe(false)
  }, 180_000)
})
