/**
 * The supervisor on its own, with real child processes: PORT injection and readiness, restarts with
 * growing backoff, crash-loop reporting, scaling down, per-replica logs, and shutdown; why replicas
 * do not come up; output that outlives the supervisor (the output relay) and a full disk.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  Supervisor,
  type ReplicaRecord,
  type ReplicaSetStatus,
} from '../../src/local/supervisor/index.js'
import { DEMO_APP, alive, waitFor } from '../helpers/processes.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-supervisor-test-'))
let supervisor: Supervisor | undefined
const seenPids = new Set<number>()

function start(): Supervisor {
  supervisor = new Supervisor({ stateDir })
  return supervisor
}

function statusOf(s: Supervisor, key: string): ReplicaSetStatus {
  const st = s.status(key)
  if (st === undefined) throw new Error(`no replica set ${key}`)
  for (const r of st.replicas) if (r.pid !== null) seenPids.add(r.pid)
  return st
}

function demo(key: string, replicas: number, env: Record<string, string> = {}) {
  return {
    key,
    command: [process.execPath, DEMO_APP],
    cwd: stateDir,
    env: { COLOR: 'blue', ...env },
    replicas,
    readiness: { httpGet: '/healthz' },
  }
}

afterEach(async () => {
  await supervisor?.shutdown()
  supervisor = undefined
})

afterAll(() => {
  for (const pid of seenPids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(stateDir, { recursive: true, force: true })
})

describe('supervisor', () => {
  it('injects PORT and counts a replica ready only once its probe answers', async () => {
    const s = start()
    // Listens only after 1.5 s: until then the probe fails and the replica must not be ready.
    const script = `setTimeout(() => require('node:http').createServer((q, r) => r.end(String(process.pid))).listen(Number(process.env.PORT), '127.0.0.1'), 1500)`
    s.apply({
      key: 'slow@1',
      command: [process.execPath, '-e', script],
      cwd: stateDir,
      env: {},
      replicas: 2,
      readiness: { httpGet: '/' },
    })
    await waitFor(() => statusOf(s, 'slow@1').replicas.every((r) => r.pid !== null), 'spawned')
    await new Promise((r) => setTimeout(r, 700))
    expect(statusOf(s, 'slow@1')).toMatchObject({ desired: 2, ready: 0, endpoints: [] })
    const ready = await waitFor(() => {
      const st = statusOf(s, 'slow@1')
      return st.ready === 2 ? st : undefined
    }, 'both replicas ready')
    const ports = ready.replicas.map((r) => r.port)
    expect(new Set(ports).size).toBe(2)
    expect(ready.endpoints.map((e) => e.port).sort()).toEqual([...ports].sort())
    for (const r of ready.replicas) {
      const res = await request(`http://127.0.0.1:${r.port}/`)
      expect(await res.body.text()).toBe(String(r.pid))
    }
  })

  it('restarts a killed replica, waiting longer after each crash', async () => {
    const s = start()
    s.apply(demo('web@1', 1))
    const first = await waitFor(() => {
      const st = statusOf(s, 'web@1')
      return st.ready === 1 ? st.replicas[0] : undefined
    }, 'replica ready')
    const gaps: number[] = []
    let pid = first.pid
    for (let crash = 1; crash <= 2; crash++) {
      if (pid !== null) process.kill(pid, 'SIGKILL')
      const back = await waitFor(() => {
        const r = statusOf(s, 'web@1').replicas[0]
        return r?.state === 'ready' && r.pid !== pid ? r : undefined
      }, `replica back after crash ${crash}`)
      expect(back.restarts).toBe(crash)
      expect(back.lastExit?.signal).toBe('SIGKILL')
      gaps.push(back.startedAt - (back.lastExit?.at ?? 0))
      pid = back.pid
    }
    // 1 s after the first crash, 2 s after the second (a little scheduling slack either way).
    expect(gaps[0]).toBeGreaterThanOrEqual(900)
    expect(gaps[1]).toBeGreaterThanOrEqual(1900)
    expect(gaps[1] ?? 0).toBeGreaterThan(gaps[0] ?? 0)
    expect(statusOf(s, 'web@1').crashLooping).toBe(false)
  })

  it('reports a crash loop after three exits within a minute', async () => {
    const s = start()
    s.apply(demo('crashy@2', 1, { CRASH_AFTER_MS: '150' }))
    const looping = await waitFor(
      () => {
        const st = statusOf(s, 'crashy@2')
        return st.crashLooping ? st : undefined
      },
      'crash loop to be reported',
      15_000,
    )
    expect(looping.restarts).toBeGreaterThanOrEqual(3)
    expect(looping.ready).toBe(0)
    expect(s.logs('crashy@2').join('\n')).toMatch(/crashing on purpose/)
  })

  it('scales down from the highest index, keeps logs per replica, and stops all on shutdown', async () => {
    const s = start()
    s.apply(demo('scale@1', 3))
    const three = await waitFor(() => {
      const st = statusOf(s, 'scale@1')
      return st.ready === 3 ? st : undefined
    }, 'three replicas ready')
    s.apply(demo('scale@1', 1))
    const one = await waitFor(() => {
      const st = statusOf(s, 'scale@1')
      return st.replicas.length === 1 ? st : undefined
    }, 'scaled to one')
    expect(one.replicas[0]?.index).toBe(0)
    expect(one.replicas[0]?.pid).toBe(three.replicas[0]?.pid)
    const stopped = three.replicas.slice(1).map((r) => r.pid ?? 0)
    await waitFor(() => stopped.every((p) => !alive(p)), 'scaled-down replicas to exit')

    const port = one.replicas[0]?.port ?? 0
    await (await request(`http://127.0.0.1:${port}/color`)).body.dump()
    await waitFor(
      () => s.logs('scale@1', { replica: 0 }).some((l) => l.includes('GET /color 200')),
      'the request in the log',
    )
    expect(s.logs('scale@1', { replica: 0 }).every((l) => l.startsWith('[0] '))).toBe(true)

    const last = one.replicas[0]?.pid ?? 0
    await s.shutdown()
    supervisor = undefined
    expect(alive(last)).toBe(false)
  })

  it('says why replicas do not come up: a command not found, an exit at start, no readiness', async () => {
    const s = start()
    const base = { cwd: stateDir, env: {}, replicas: 1 }
    s.apply({ ...base, key: 'missing@1', command: ['node-x-does-not-exist', 'server.js'] })
    s.apply({
      ...base,
      key: 'exits@1',
      command: [process.execPath, '-e', 'console.error("boom: no config"); process.exit(3)'],
    })
    s.apply({
      ...base,
      key: 'deaf@1',
      command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
      readiness: { httpGet: '/healthz' },
    })
    const missing = await waitFor(() => statusOf(s, 'missing@1').problem, 'missing: a problem')
    expect(missing).toEqual({
      reason: 'CommandNotFound',
      message: 'command node-x-does-not-exist not found in PATH (spawn ENOENT)',
    })
    const exits = await waitFor(() => statusOf(s, 'exits@1').problem, 'exits: a problem')
    expect(exits.reason).toBe('ExitedAtStart')
    expect(exits.message).toMatch(
      /^replica 0 exited with code 3 \d+\.\ds after it started, before it was ready; last output: boom: no config$/,
    )
    expect(statusOf(s, 'deaf@1').problem).toBeUndefined()
    const deaf = await waitFor(() => statusOf(s, 'deaf@1').problem, 'deaf: a problem', 10_000)
    expect(deaf.reason).toBe('NotReady')
    expect(deaf.message).toMatch(
      /^replica 0 \(pid \d+\) has not passed readiness for 5\.\ds: GET \/healthz on 127\.0\.0\.1:\d+ \(\$PORT\) — connection refused \(nothing listening\)$/,
    )
    // Three quick exits make it a crash loop, which says the same facts.
    const looping = await waitFor(
      () => {
        const p = statusOf(s, 'exits@1').problem
        return p?.reason === 'CrashLoop' ? p : undefined
      },
      'exits: a crash loop',
      15_000,
    )
    expect(looping.message).toMatch(
      /^replica 0 keeps crashing: 3 exits in the last minute, the last with code 3; last output: boom/,
    )
    expect(statusOf(s, 'missing@1').problem?.reason).toBe('CommandNotFound')
    // The output of a set that is gone can still be read.
    await s.remove('exits@1')
    expect(s.status('exits@1')).toBeUndefined()
    expect(s.logs('exits@1')).toContain('[0] boom: no config')
  }, 30_000)

  it('the output relay drains a replica while no supervisor runs; one that dies is replaced and nothing is lost', async () => {
    const records = new Map<string, ReplicaRecord>()
    const store = {
      put: (r: ReplicaRecord) => records.set(r.id, r),
      delete: (id: string) => records.delete(id),
      list: () => [...records.values()],
    }
    const first = new Supervisor({ stateDir, store })
    supervisor = first
    // SIGUSR1 holds the ticks and says how many were written; SIGUSR2 lets them go on.
    const script = `let i = 0; let held = false; require('node:http').createServer((q, r) => r.end('ok')).listen(Number(process.env.PORT), '127.0.0.1'); process.on('SIGUSR1', () => { held = true; require('node:fs').writeFileSync('chatty-held', String(i)) }); process.on('SIGUSR2', () => { held = false }); setInterval(() => { if (!held) process.stdout.write('tick ' + i++ + '\\n') }, 20)`
    first.apply({
      key: 'chatty@1',
      command: [process.execPath, '-e', script],
      cwd: stateDir,
      env: {},
      replicas: 1,
    })
    const pid = await waitFor(() => {
      const st = statusOf(first, 'chatty@1')
      return st.ready === 1 ? st.replicas[0]?.pid : undefined
    }, 'chatty ready')
    const relay = first.relayPid ?? 0
    expect(alive(relay)).toBe(true)
    await first.shutdown({ keepRunning: true })
    supervisor = undefined
    const logPath = join(stateDir, 'logs', 'chatty@1', '0.log')
    const lines = (): string[] =>
      readFileSync(logPath, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    // A relay killed while it copies loses the chunk it holds (read from the FIFO, not yet written):
    // no reader of a pipe can avoid that. So each relay is killed once it has copied all the
    // replica wrote, with the replica held; what the replica writes while no relay runs must all
    // arrive, once, in order.
    const heldPath = join(stateDir, 'chatty-held')
    const hold = async (): Promise<void> => {
      rmSync(heldPath, { force: true })
      process.kill(pid, 'SIGUSR1')
      const written = Number(
        await waitFor(() => {
          try {
            return /^\d+$/.exec(readFileSync(heldPath, 'utf8'))?.[0]
          } catch {
            return undefined
          }
        }, 'the replica to hold its output'),
      )
      await waitFor(() => lines().at(-1) === `tick ${written - 1}`, 'every line written, copied')
    }
    const release = (): void => void process.kill(pid, 'SIGUSR2')
    // No supervisor: the relay goes on copying into the log.
    const before = lines().length
    await waitFor(() => lines().length > before + 30, 'the log to grow with no supervisor')

    // The next supervisor adopts that relay; one that dies under it is replaced.
    const second = new Supervisor({ stateDir, store })
    supervisor = second
    await second.adopt()
    expect(second.relayPid).toBe(relay)
    await hold()
    process.kill(relay, 'SIGKILL')
    release()
    const replaced = await waitFor(() => {
      const now = second.relayPid
      return now !== undefined && now !== relay && alive(now) ? now : undefined
    }, 'another relay')
    const afterKill = lines().length
    await waitFor(() => lines().length > afterKill + 30, 'the log to grow through the new relay')

    // With neither a supervisor nor a relay the output waits in the FIFO, the replica unharmed…
    await second.shutdown({ keepRunning: true })
    supervisor = undefined
    await hold()
    process.kill(replaced, 'SIGKILL')
    await waitFor(() => !alive(replaced), 'the relay to die')
    release()
    await new Promise((r) => setTimeout(r, 300))
    const waiting = lines().length
    await new Promise((r) => setTimeout(r, 1000))
    expect(alive(pid)).toBe(true)
    expect(lines().length).toBe(waiting)

    // …until the next supervisor starts a relay, which drains what was written meanwhile.
    const third = new Supervisor({ stateDir, store })
    supervisor = third
    await third.adopt()
    const last = third.relayPid ?? 0
    expect([relay, replaced]).not.toContain(last)
    const all = await waitFor(() => {
      const text = lines()
      return text.length > waiting + 60 ? text : undefined
    }, 'the output written meanwhile, drained into the log')
    // Every line once, in order, with none lost across the gaps.
    const numbers = all.map((l) => Number(/^tick (\d+)$/.exec(l)?.[1]))
    expect(numbers).toEqual(numbers.map((_, i) => i))
    expect(statusOf(third, 'chatty@1').replicas[0]?.pid).toBe(pid)

    // Shut down with no replica left to serve, the relay stops too.
    await third.shutdown()
    supervisor = undefined
    expect(alive(pid)).toBe(false)
    expect(alive(last)).toBe(false)
  }, 60_000)

  it('where no relay can start, the supervisor drains the FIFOs itself, and hands over to a relay once one can', async () => {
    const own = mkdtempSync(join(tmpdir(), 'kanari-no-relay-'))
    // A directory where the relay's socket goes: no relay can listen there.
    mkdirSync(join(own, 'relay.sock'))
    try {
      const said: string[] = []
      const s = new Supervisor({ stateDir: own, log: (l) => said.push(l) })
      supervisor = s
      const script = `let i = 0; setInterval(() => process.stdout.write('tick ' + i++ + '\\n'), 20)`
      s.apply({
        key: 'local@1',
        command: [process.execPath, '-e', script],
        cwd: own,
        env: {},
        replicas: 1,
      })
      const logPath = join(own, 'logs', 'local@1', '0.log')
      const lines = (): string[] => {
        try {
          return readFileSync(logPath, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
        } catch {
          return []
        }
      }
      await waitFor(() => lines().length > 50, 'the log written without a relay', 30_000)
      expect(s.relayPid).toBeUndefined()
      expect(said.join('\n')).toMatch(
        /output relay did not start: cannot listen on .*relay\.sock: .*directory.*; draining here/,
      )
      expect(readFileSync(join(own, 'logs', 'relay.log'), 'utf8')).toMatch(/cannot listen on/)

      // Room for the socket: the next try (every 10 s) starts a relay, which takes over.
      rmSync(join(own, 'relay.sock'), { recursive: true })
      const relay = await waitFor(() => s.relayPid, 'a relay to take over', 30_000)
      const atHandover = lines().length
      await waitFor(() => lines().length > atHandover + 50, 'the log written through the relay')
      const numbers = lines().map((l) => Number(/^tick (\d+)$/.exec(l)?.[1]))
      expect(numbers).toEqual(numbers.map((_, i) => i))
      await s.shutdown()
      supervisor = undefined
      expect(alive(relay)).toBe(false)
    } finally {
      rmSync(own, { recursive: true, force: true })
    }
  }, 90_000)

  it('a second relay for the same state directory finds the first answering and exits', async () => {
    const s = start()
    s.apply({ ...demo('one@1', 1), cwd: stateDir })
    const relay = await waitFor(() => s.relayPid, 'a relay')
    const entry = fileURLToPath(
      new URL('../../src/local/supervisor/output-relay/main.ts', import.meta.url),
    )
    const second = spawnSync(
      process.execPath,
      ['--import', 'tsx', entry, '--state-dir', stateDir],
      { encoding: 'utf8', timeout: 30_000 },
    )
    expect(second.status).toBe(0)
    expect(JSON.parse(second.stdout)).toEqual({
      relaying: false,
      pid: relay,
      reason: 'another relay answers',
    })
    expect(alive(relay)).toBe(true)
    expect(s.relayPid).toBe(relay)
  })

  it.skipIf(process.getuid?.() !== 0)(
    'on a full disk a replica keeps running; its output is dropped and counted',
    async () => {
      const small = mkdtempSync(join(tmpdir(), 'kanari-supervisor-full-'))
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small])
      try {
        const s = new Supervisor({ stateDir: small })
        supervisor = s
        s.apply({ ...demo('full@1', 1), cwd: stateDir })
        const port = await waitFor(() => {
          const st = statusOf(s, 'full@1')
          return st.ready === 1 ? st.replicas[0]?.port : undefined
        }, 'replica ready')
        mkdirSync(join(small, 'fill'), { recursive: true })
        try {
          writeFileSync(join(small, 'fill', 'filler'), Buffer.alloc(2 * 1024 * 1024))
        } catch (err) {
          expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC')
        }
        // The demo app logs every request (about 80 bytes): past the log's last page they are
        // dropped, and the app answers on.
        for (let i = 0; i < 200; i++) {
          const res = await request(`http://127.0.0.1:${port}/color`)
          expect(res.statusCode).toBe(200)
          await res.body.dump()
        }
        const st = await waitFor(() => {
          const status = statusOf(s, 'full@1')
          return status.droppedLogBytes > 100 * 40 ? status : undefined
        }, 'dropped bytes counted')
        expect(st.replicas[0]).toMatchObject({ state: 'ready', restarts: 0 })
        await s.shutdown()
        supervisor = undefined
      } finally {
        execFileSync('umount', ['-l', small])
        rmSync(small, { recursive: true, force: true })
      }
    },
  )
})
