/**
 * `kanari demo` run through the real binary and interrupted at one of its milestones: it must exit 130
 * (SIGINT) or 143 (SIGTERM) in bounded time, its state directory gone, and so every process it
 * started — the daemon and each replica. Used by test/demo/ and the smoke test.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { expect } from 'vitest'
import { KANARI_BIN, waitFor } from '../helpers/processes.js'
import { ownedProcesses, processNow, stillRunning, type OwnedProcess } from './owned-processes.js'

export interface Milestone {
  name: string
  /** The output line that marks it. */
  line: RegExp
  /** Whether v1's replicas are up by then, so the test must have seen them. */
  replicasUp: boolean
}

export const MILESTONES: Milestone[] = [
  {
    name: 'state dir printed, daemon starting',
    line: /^Kanari demo — state in /,
    replicasUp: false,
  },
  { name: 'daemon running', line: /^daemon running \(pid \d+/, replicasUp: false },
  { name: 'v1 serving under load', line: /^steady load: /, replicasUp: true },
  { name: 'first release line', line: /^── release /, replicasUp: true },
  { name: 'mid-release, canary taking traffic', line: /— canary [1-9]\d*%:/, replicasUp: true },
]

/** A milestone at random; KANARI_DEMO_MILESTONE=<index> replays a given one. */
export function pickMilestone(): Milestone {
  const forced = process.env.KANARI_DEMO_MILESTONE
  const index =
    forced === undefined ? Math.floor(Math.random() * MILESTONES.length) : Number(forced)
  const m = MILESTONES[index]
  if (m === undefined) throw new Error(`KANARI_DEMO_MILESTONE must be 0–${MILESTONES.length - 1}`)
  return m
}

/** The cleanup's budget is 15s from the signal; the margin is for a busy machine. */
const EXIT_BOUND_MS = 20_000
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const

interface Run {
  child: ChildProcess
  lines: string[]
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Everything seen running for the state directory while the demo ran, by pid. */
  seen: Map<number, OwnedProcess>
  stateDir: () => string | undefined
  stopWatching: () => void
}

const runs: Run[] = []

function startDemo(): Run {
  const child = spawn(process.execPath, [KANARI_BIN, 'demo', '--ci'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  let partial = ''
  const take = (chunk: Buffer): void => {
    const parts = (partial + chunk.toString('utf8')).split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts)
  }
  child.stdout.on('data', take)
  child.stderr.on('data', take)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const stateDir = (): string | undefined =>
    lines.map((l) => /^Kanari demo — state in (\S+)$/.exec(l)?.[1]).find((d) => d !== undefined)
  const seen = new Map<number, OwnedProcess>()
  // Replicas come and go during a release: look often, so each one is seen while it runs.
  const watch = setInterval(() => {
    const dir = stateDir()
    if (dir !== undefined) for (const p of ownedProcesses(dir)) seen.set(p.pid, p)
  }, 100)
  const run: Run = {
    child,
    lines,
    exited,
    seen,
    stateDir,
    stopWatching: () => clearInterval(watch),
  }
  runs.push(run)
  return run
}

/** The daemon's pid as the demo printed it, recorded while it runs. */
function printedDaemon(run: Run): OwnedProcess | undefined {
  const pid = run.lines.map((l) => /^daemon running \(pid (\d+)/.exec(l)?.[1]).find(Boolean)
  return pid === undefined ? undefined : processNow(Number(pid))
}

/** Ends what a run left (call it after each test): a failed run must not leave its daemon and
 * replicas behind for the next test. */
export function cleanUpRuns(): void {
  for (const run of runs.splice(0)) {
    run.stopWatching()
    run.child.kill('SIGKILL')
    const dir = run.stateDir()
    const left = [...run.seen.values(), ...(dir === undefined ? [] : ownedProcesses(dir))]
    for (const p of left.filter(stillRunning)) process.kill(p.pid, 'SIGKILL')
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  }
}

export async function interruptAt(
  milestone: Milestone,
  signal: 'SIGINT' | 'SIGTERM',
  options: { again?: boolean } = {},
): Promise<void> {
  const run = startDemo()
  const context = (): string => `milestone "${milestone.name}"; output:\n${run.lines.join('\n')}`
  await waitFor(() => run.lines.some((l) => milestone.line.test(l)), milestone.name, 40_000, 20)
  const stateDir = run.stateDir()
  if (stateDir === undefined) throw new Error(`no state directory printed; ${context()}`)
  const daemon = printedDaemon(run)
  for (const p of ownedProcesses(stateDir)) run.seen.set(p.pid, p)

  // Piped, the demo's lines fit a log's width (a verdict in flight once ran to 300 characters).
  for (const l of run.lines) expect(l.length, context()).toBeLessThanOrEqual(100)
  const sentAt = Date.now()
  run.child.kill(signal)
  if (options.again === true) {
    await delay(50)
    run.child.kill(signal)
  }
  const bound = new AbortController()
  const exit = await Promise.race([
    run.exited,
    delay(EXIT_BOUND_MS, undefined, { signal: bound.signal }).catch(() => undefined),
  ])
  const tookMs = Date.now() - sentAt
  bound.abort()
  run.stopWatching()

  expect(exit, context()).toEqual({ code: EXIT_CODES[signal], signal: null })
  expect(tookMs, context()).toBeLessThan(EXIT_BOUND_MS)
  const last = run.lines.filter((l) => l !== '').at(-1) ?? ''
  expect(last, context()).toMatch(new RegExp(`^interrupted \\(${signal}\\), cleaned up: `))
  expect(last).toContain(`removed ${stateDir}`)
  if (options.again === true)
    expect(
      run.lines.some((l) => l.includes('still cleaning up')),
      context(),
    ).toBe(true)
  expect(existsSync(stateDir), `${stateDir} still exists`).toBe(false)

  // What the test saw must include what the milestone promises, or the checks below prove nothing.
  const seen = [...run.seen.values()]
  if (milestone.name !== MILESTONES[0]?.name) {
    expect(daemon, `daemon pid printed and running; ${context()}`).toBeDefined()
    if (daemon !== undefined) seen.push(daemon)
  }
  if (milestone.replicasUp)
    expect(seen.filter((p) => p.replica).length, context()).toBeGreaterThanOrEqual(3)
  expect(
    seen.filter(stillRunning).map((p) => p.pid),
    'pids of the daemon and replicas still running',
  ).toEqual([])
  expect(
    ownedProcesses(stateDir).map((p) => p.pid),
    `processes still writing to ${stateDir}`,
  ).toEqual([])
}
