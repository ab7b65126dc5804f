/**
 * The SQLite state store: one daemon per directory, instant take-over of a dead daemon's lock, no
 * acknowledged write lost when the writing process is killed with -9, and a full disk that refuses
 * writes with a clear error instead of killing anything.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/engine/events.js'
import { DependencyError } from '../../src/errors.js'
import { StateStore } from '../../src/local/store/index.js'
import { rolloutRecord, statusAt } from '../../src/local/store/test-utils/rollout-record.js'

function trafficShifted(at: number, message: string): EngineEvent {
  return {
    at,
    severity: 'info',
    revision: 2,
    canaryWeight: 5,
    stepIndex: 0,
    message,
    reason: 'TrafficShifted',
    fromWeight: 0,
    toWeight: 5,
  }
}

const dirs: string[] = []
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kanari-store-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('state store', () => {
  it('lets one daemon own a state directory and says who holds it', () => {
    const dir = tempDir()
    const first = StateStore.open(dir)
    expect(() => StateStore.open(dir)).toThrow(
      new RegExp(
        `state directory ${dir} is in use by another Kanari daemon \\(pid ${process.pid}\\)`,
      ),
    )
    first.close()
    StateStore.open(dir).close()
  })

  it('takes over the lock of a daemon that died, at once', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'daemon.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: 0 }))
    const store = StateStore.open(dir)
    const healthy = { ...statusAt(1), phase: 'Healthy' as const }
    store.rollouts.put(rolloutRecord('a', healthy))
    expect(store.rollouts.get('a')?.status).toEqual(healthy)
    store.close()
  })

  it('keeps status and events together, events in order', () => {
    const store = StateStore.open(tempDir())
    store.rollouts.put(rolloutRecord('a', statusAt(0)))
    const shifted = trafficShifted(1, 'first')
    const rolledBack: EngineEvent = {
      ...trafficShifted(2, 'second'),
      severity: 'error',
      reason: 'RolledBack',
      stableRevision: 1,
      cause: 'AnalysisFailed',
      explanation: 'canary error rate 15% vs stable 0.5%',
    }
    store.saveStatus('a', statusAt(1), [shifted, rolledBack])
    expect(store.rollouts.get('a')?.status).toEqual(statusAt(1))
    const events = store.events.list('a')
    expect(events.map((e) => e.reason)).toEqual(['TrafficShifted', 'RolledBack'])
    // stored whole and typed: what comes back is what went in, plus its id
    expect(events.map(({ id: _id, rollout: _r, ...e }) => e)).toEqual([shifted, rolledBack])
    expect(events.every((e) => e.rollout === 'a')).toBe(true)
    expect(store.events.list('a', { sinceId: events[0]?.id ?? 0 }).map((e) => e.reason)).toEqual([
      'RolledBack',
    ])
    expect(() => store.saveStatus('missing', statusAt(1))).toThrow(/no rollout named missing/)
    store.close()
  })

  it('loses no acknowledged write when the writer is killed with -9', async () => {
    const dir = tempDir()
    const storeModule = fileURLToPath(new URL('../../src/local/store/index.ts', import.meta.url))
    const recordModule = fileURLToPath(
      new URL('../../src/local/store/test-utils/rollout-record.ts', import.meta.url),
    )
    const script = join(dir, 'writer.ts')
    writeFileSync(
      script,
      `import { StateStore } from ${JSON.stringify(storeModule)}
import { rolloutRecord, statusAt } from ${JSON.stringify(recordModule)}
const store = StateStore.open(${JSON.stringify(dir)})
store.rollouts.put(rolloutRecord('w', statusAt(0)))
for (let i = 1; ; i++) {
  store.saveStatus('w', statusAt(i), [{ at: i, severity: 'info', revision: 1, canaryWeight: 0, stepIndex: 0, message: String(i), reason: 'TrafficShifted', fromWeight: 0, toWeight: 0 }])
  process.stdout.write(i + '\\n')
}
`,
    )
    // One process (node with tsx's loader), so SIGKILL hits the writer itself.
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    })
    let acked = 0
    let buffer = ''
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString()
        const lines = buffer.split('\n')
        buffer = lines.pop() ?? ''
        for (const l of lines) acked = Math.max(acked, Number(l))
        if (acked >= 300 && child.exitCode === null) {
          child.kill('SIGKILL')
          resolve()
        }
      })
    })
    await new Promise((r) => child.once('exit', r))
    const store = StateStore.open(dir)
    const saved = store.rollouts.get('w')?.status.revision ?? 0
    expect(saved).toBeGreaterThanOrEqual(acked)
    const events = store.events.list('w', { limit: 100_000 })
    expect(events.length).toBe(saved)
    expect(events.map((e) => Number(e.message))).toEqual(
      Array.from({ length: saved }, (_, i) => i + 1),
    )
    store.close()
  })

  it.skipIf(process.getuid?.() !== 0)(
    'on a full disk: a refused write says what and where, the store starts on its reserve, and writes again once there is room',
    () => {
      const dir = tempDir()
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir])
      try {
        const fill = (): void => {
          try {
            writeFileSync(join(dir, 'filler'), Buffer.alloc(4 * 1024 * 1024))
          } catch (err) {
            expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC')
          }
        }
        let store = StateStore.open(dir)
        expect(existsSync(join(dir, 'reserve'))).toBe(true)
        store.rollouts.put(rolloutRecord('a', statusAt(0)))
        fill()
        const big = statusAt(1, 'x'.repeat(200_000))
        expect(() => store.saveStatus('a', big)).toThrow(DependencyError)
        expect(() => store.saveStatus('a', big)).toThrow(
          new RegExp(
            `cannot save Kanari's state: disk full \\(SQLITE_FULL\\) writing ${dir}/kanari\\.db`,
          ),
        )
        expect(store.writeHealth()).toEqual({
          stateWritable: false,
          problem: `disk full (SQLITE_FULL) writing ${dir}/kanari.db — free space; Kanari retries every tick`,
        })
        expect(store.rollouts.get('a')?.status).toEqual(statusAt(0))
        // Closed with room to spare: the WAL and shared memory are gone, to be made at the next open.
        rmSync(join(dir, 'filler'))
        store.close()
        expect(existsSync(join(dir, 'kanari.db-shm'))).toBe(false)

        // Opening on a full disk takes the reserve for the shared memory, then saves nothing.
        fill()
        store = StateStore.open(dir)
        expect(existsSync(join(dir, 'reserve'))).toBe(false)
        expect(store.rollouts.get('a')?.status).toEqual(statusAt(0))
        expect(() => store.saveStatus('a', statusAt(2))).toThrow(
          /disk full \(ENOSPC\): \d+ KiB free/,
        )
        expect(store.writeHealth().stateWritable).toBe(false)

        rmSync(join(dir, 'filler'))
        store.saveStatus('a', statusAt(3))
        expect(store.rollouts.get('a')?.status).toEqual(statusAt(3))
        expect(store.writeHealth()).toEqual({ stateWritable: true, problem: null })
        expect(existsSync(join(dir, 'reserve'))).toBe(true)
        store.close()
      } finally {
        execFileSync('umount', ['-l', dir])
      }
    },
  )
})
