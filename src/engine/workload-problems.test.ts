import { describe, expect, it } from 'vitest'
import { World } from '../controller/test-utils/world.js'
import type { EventOf } from './events.js'
import { blueGreenPlan, canaryPlan } from './test-utils/plans.js'
import type { WorkloadProblem } from './types.js'

const notFound: WorkloadProblem = {
  reason: 'CommandNotFound',
  message: 'command node-x not found in PATH (spawn ENOENT)',
  hint: 'fix spec.workload.process.command and apply again',
}
const exited: WorkloadProblem = {
  reason: 'ExitedAtStart',
  message: 'replica 0 exited with code 3 0.1s after it started; last output: "boom"',
  hint: 'see `kanari logs checkout`',
}

function problemEvents(w: World): EventOf<'WorkloadProblem'>[] {
  return w.sink.events.filter(
    (e): e is EventOf<'WorkloadProblem'> => e.reason === 'WorkloadProblem',
  )
}

describe('workload problems', () => {
  it('a first revision that cannot start says why, once, and the deadline event carries the cause', async () => {
    const w = new World(
      canaryPlan([{ kind: 'setWeight', weight: 50 }], { progressDeadlineSeconds: 30 }),
    )
    w.readyDelayTicks = 100_000
    w.problems.set(1, notFound)
    await w.tick()
    await w.run(10)
    expect(w.status.phase).toBe('Initializing')
    expect(w.status.message).toBe(
      'deploying revision 1 (0/3 ready): command node-x not found in PATH (spawn ENOENT)',
    )
    expect(problemEvents(w)).toEqual([
      expect.objectContaining({
        reason: 'WorkloadProblem',
        severity: 'error',
        revision: 1,
        role: 'stable',
        problem: notFound,
      }),
    ])
    expect(problemEvents(w)[0]?.message).toMatch(/node-x not found.*fix spec\.workload/)

    await w.run(25)
    const deadline = w.sink.events.filter((e) => e.reason === 'ProgressDeadlineExceeded')
    expect(deadline).toEqual([expect.objectContaining({ problem: notFound, rollingBack: false })])
    expect(deadline[0]?.message).toMatch(/not ready after 30s .*node-x not found.*fix spec/)
    expect(problemEvents(w)).toHaveLength(1)
  })

  it('reports a changed cause, and a cause that went away and came back, again', async () => {
    const w = new World(canaryPlan([{ kind: 'setWeight', weight: 50 }]))
    w.readyDelayTicks = 100_000
    w.problems.set(1, exited)
    await w.run(3)
    // the message changes (counts, output) but the reason does not: no new event
    w.problems.set(1, { ...exited, message: 'replica 1 exited with code 3 0.2s after it started' })
    await w.run(3)
    expect(problemEvents(w).map((e) => e.problem.reason)).toEqual(['ExitedAtStart'])
    w.problems.set(1, { ...exited, reason: 'CrashLoop' })
    await w.run(3)
    w.problems.delete(1)
    await w.run(3)
    expect(w.status.reportedProblems).toBeUndefined()
    w.problems.set(1, { ...exited, reason: 'CrashLoop' })
    await w.run(3)
    expect(problemEvents(w).map((e) => e.problem.reason)).toEqual([
      'ExitedAtStart',
      'CrashLoop',
      'CrashLoop',
    ])
  })

  it('a canary waiting for replicas names the cause; a crash-loop rollback explains it', async () => {
    const w = new World(canaryPlan([{ kind: 'setWeight', weight: 20 }, { kind: 'pause' }]))
    await w.tick()
    await w.runUntil((s) => s.phase === 'Healthy')
    w.readyDelayTicks = 100_000
    w.release(2)
    w.problems.set(2, exited)
    await w.run(3)
    expect(w.status.message).toBe(
      `waiting for canary replicas before shifting 20% (0/3 ready): ${exited.message}`,
    )
    expect(problemEvents(w)).toEqual([
      expect.objectContaining({ revision: 2, role: 'canary', problem: exited }),
    ])
    w.crashLooping.add(2)
    w.problems.set(2, { ...exited, reason: 'CrashLoop' })
    await w.tick()
    expect(w.status.phase).toBe('RolledBack')
    const rolledBack = w.sink.events.filter((e) => e.reason === 'RolledBack')
    expect(rolledBack).toEqual([expect.objectContaining({ cause: 'CrashLoop' })])
    expect(rolledBack[0]?.explanation).toMatch(/crash-looping \(0\/3 ready\): .*"boom"/)
  })

  it('a blue-green preview waiting for replicas names the cause', async () => {
    const w = new World(blueGreenPlan())
    await w.tick()
    await w.runUntil((s) => s.phase === 'Healthy')
    w.readyDelayTicks = 100_000
    w.release(2)
    w.problems.set(2, { ...notFound, reason: 'NotReady', message: 'not ready after 5s' })
    await w.run(2)
    expect(w.status.message).toBe('waiting for preview replicas (0/3 ready): not ready after 5s')
    expect(problemEvents(w)).toEqual([
      expect.objectContaining({ severity: 'warn', role: 'canary', revision: 2 }),
    ])
    expect(problemEvents(w)[0]?.message).toMatch(/^preview revision 2: not ready after 5s/)
  })
})
