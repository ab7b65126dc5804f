/**
 * The supervisor on its own, with real child processes: PORT injection and readiness, restarts with
 * growing backoff, crash-loop reporting, scaling down, per-replica logs, and shutdown.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Supervisor, type ReplicaSetStatus } from '../../src/local/supervisor/index.js'
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
})
