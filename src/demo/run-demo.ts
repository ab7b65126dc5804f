/**
 * `kanari demo`: the whole story on one machine. A daemon in a temporary state directory runs the
 * demo app v1 (blue) behind Kanari's proxy under steady load; then v2 (healthy) is promoted, v3 (15%
 * errors) is rolled back at its first step, and v4 (fails only under load) is rolled back at 50%.
 * Prints each release's process table, time to decision and the user requests each bad version cost.
 * Interrupted at any moment, it stops the load, the daemon and its replicas, and removes its state.
 */
import { wrapHanging } from '../report/wrap.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import type { DaemonClient } from '../local/daemon/client.js'
import { DEMO_RELEASES } from './demo-spec.js'
import { newProgress, PIPED_WIDTH, tellStory } from './demo-story.js'
import { keepInstructions, kanariCommand } from './keep-instructions.js'
import type { ReleaseReport } from './release-report.js'
import { tearDown, type TearDownResult } from './tear-down.js'

export type { ReleaseReport }

export type InterruptSignal = 'SIGINT' | 'SIGTERM'

export interface DemoOptions {
  /** Where the story is told (a terminal, a pipe, a test's buffer); stderr takes what JSON cannot. */
  io: {
    stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
    stderr?: NodeJS.WritableStream
  }
  /** Plain lines even on a TTY. */
  ci: boolean
  /** Leave the daemon and the demo app running at the end. */
  keep: boolean
  json: boolean
  rps: number
  startDaemon: (stateDir: string) => Promise<DaemonClient>
  /** A GGUF model file: an advisor explains each rollback (it never decides). */
  advisorModelFile?: string
  /**
   * Subscribes to the user's interrupts (Ctrl-C, SIGTERM) and returns the unsubscribe. The first one
   * stops the demo and cleans up, even with `keep`; a later one kills instead of waiting.
   */
  onInterrupt?: (listener: (signal: InterruptSignal) => void) => () => void
}

export interface DemoReport {
  ok: boolean
  url: string
  /** The live dashboard, served by the daemon (empty if the daemon never started). */
  dashboardUrl: string
  stateDir: string
  releases: ReleaseReport[]
  load: { requests: number; failed: number; unanswered: number; rps: number }
  seconds: number
  /** Set when the user interrupted the demo; what it started was stopped then. */
  interrupted?: InterruptSignal
}

/** From the first interrupt (or the end of the story) to everything stopped and removed. */
const CLEANUP_BUDGET_MS = 15_000
/**
 * How long an interrupted story may take to unwind: it stops at its next step, unless it waits for
 * a daemon that is still starting or does not answer, which the cleanup then deals with by pid.
 */
const UNWIND_MS = 3_000

/** The closing line of an interrupted demo: what was stopped, and whether anything is left. */
function interruptedLine(signal: InterruptSignal, stateDir: string, done: TearDownResult): string {
  const pids = done.survivors.join(' ')
  if (pids !== '')
    return `interrupted (${signal}): pids ${pids} still running after cleanup; state kept in ${stateDir} — stop them with kill -9 ${pids}`
  const replicas =
    done.replicas === 0 ? '' : ` and ${done.replicas} replica${done.replicas === 1 ? '' : 's'}`
  const stopped =
    done.daemonPids.length === 0
      ? 'no daemon was running yet'
      : `stopped the daemon (pid ${done.daemonPids.join(', ')})${replicas}`
  const removed = done.removed ? `removed ${stateDir}` : `could not remove ${stateDir}`
  return `interrupted (${signal})${done.removed ? ', cleaned up' : ''}: ${stopped}, ${removed}`
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const started = Date.now()
  const out = options.io.stdout
  const live = !options.ci && !options.json && out.isTTY === true
  // The story stops at the first interrupt; the cleanup stops waiting for the daemon at the second.
  const stop = new AbortController()
  const hurry = new AbortController()
  let interrupted: InterruptSignal | undefined
  let interruptedAt = 0
  let onInterrupted: () => void = () => undefined
  const interruption = new Promise<void>((resolve) => (onInterrupted = resolve))
  // An interrupted story may still be unwinding: it says nothing more.
  const write = (text: string): void => {
    if (!stop.signal.aborted) out.write(text)
  }
  // Lines are broken at spaces to the terminal's width (the terminal would break them mid-word),
  // or piped, to a width a log reads well at.
  const columns = live ? (out.columns ?? PIPED_WIDTH) : PIPED_WIDTH
  const say = (line: string): void => {
    if (options.json) return
    if (live) write('\r\x1b[K')
    write(wrapHanging(line, columns).join('\n') + '\n')
  }
  /** Lines about the cleanup itself; under --output json stdout is kept for the report. */
  const tell = (line: string): void => {
    if (options.json) (options.io.stderr ?? out).write(line + '\n')
    else out.write(`${live ? '\r\x1b[K' : ''}${line}\n`)
  }
  const unsubscribe =
    options.onInterrupt?.((signal) => {
      if (interrupted === undefined) {
        interrupted = signal
        interruptedAt = Date.now()
        stop.abort()
        if (live) out.write('\r\x1b[Kinterrupted: stopping the daemon and its replicas…')
        onInterrupted()
      } else if (!hurry.signal.aborted) {
        hurry.abort()
        tell(`${signal} again: still cleaning up — killing the daemon and its replicas now`)
      } else tell('still cleaning up: removing the state directory once they are gone')
    }) ?? (() => undefined)

  const stateDir = mkdtempSync(join(tmpdir(), 'kanari-demo-'))
  const progress = newProgress()
  const story = tellStory(
    {
      stateDir,
      rps: options.rps,
      startDaemon: options.startDaemon,
      stop: stop.signal,
      say,
      write,
      live,
      json: options.json,
      columns,
      ...(options.advisorModelFile === undefined
        ? {}
        : { advisorModelFile: options.advisorModelFile }),
    },
    progress,
  )

  try {
    try {
      await Promise.race([story, interruption])
    } catch (err) {
      // A story cut short by the interrupt fails on its next step; only other failures are errors.
      if (interrupted === undefined) throw err
    }
    if (interrupted !== undefined)
      await Promise.race([
        story.catch(() => undefined),
        delay(UNWIND_MS, undefined, { signal: hurry.signal }).catch(() => undefined),
      ])
    // An interrupt during the normal end's cleanup changes nothing but the exit code.
    const cleanup =
      interrupted !== undefined || !options.keep
        ? await tearDown({
            stateDir,
            client: progress.client,
            // From the interrupt, so the story's unwinding counts against the same budget.
            deadline: (interrupted === undefined ? Date.now() : interruptedAt) + CLEANUP_BUDGET_MS,
            hurry: hurry.signal,
          })
        : undefined

    const { releases, client } = progress
    const url = progress.url ?? ''
    const ok =
      interrupted === undefined &&
      releases.length === DEMO_RELEASES.length &&
      releases.every((r) => r.ok)
    const report: DemoReport = {
      ok,
      url: `${url}/`,
      dashboardUrl: client === undefined ? '' : `${client.info.url}/`,
      stateDir,
      releases,
      load: { ...progress.load, rps: options.rps },
      seconds: Math.round((Date.now() - started) / 100) / 10,
      ...(interrupted === undefined ? {} : { interrupted }),
    }
    if (interrupted !== undefined && cleanup !== undefined) {
      tell(interruptedLine(interrupted, stateDir, cleanup))
      if (options.json) out.write(JSON.stringify(report, null, 2) + '\n')
      return report
    }
    if (cleanup !== undefined && !cleanup.removed)
      say(
        `the daemon or its replicas (pids ${cleanup.survivors.join(' ')}) did not stop; state kept in ${stateDir}`,
      )
    if (options.json) out.write(JSON.stringify(report, null, 2) + '\n')
    else {
      say('')
      say(
        `summary (${report.seconds}s, ${report.load.requests} user requests): ${failedBreakdown(report)}`,
      )
      for (const r of releases)
        say(
          `  ${r.version} ${r.color.padEnd(7)} ${r.outcome.padEnd(10)} ${r.outcome === 'RolledBack' ? `at ${r.decidedAtWeight}%`.padEnd(7) : ''.padEnd(7)} decided in ${r.decisionSeconds}s, ${r.failedRequests} failed requests  ${r.ok ? 'as expected' : 'NOT as expected'}`,
        )
      say(`grid page (served through the proxy): ${url}/${options.keep ? '' : ' (stopped)'}`)
      if (report.dashboardUrl !== '')
        say(
          `dashboard (served by the daemon):     ${report.dashboardUrl}${options.keep ? '' : ' (stopped)'}`,
        )
      say(ok ? 'demo passed' : 'demo FAILED: a release did not end as expected')
      if (options.keep && client !== undefined) {
        say('')
        for (const line of keepInstructions({
          serviceUrl: url,
          dashboardUrl: report.dashboardUrl,
          stateDir,
          daemonPid: client.info.pid,
          kanari: kanariCommand(),
        }))
          say(line)
      }
    }
    return report
  } finally {
    unsubscribe()
  }
}

/**
 * The failed total split the way users ask about it: what the releases under test cost while they
 * were judged (the sum of the lines below), what failed on a version outside that window (stable's
 * own errors, or requests in flight when a canary was taken out), and what no version answered.
 */
export function failedBreakdown(report: Pick<DemoReport, 'load' | 'releases'>): string {
  const judged = report.releases.reduce((sum, r) => sum + r.failedRequests, 0)
  const stable = Math.max(0, report.load.failed - judged - report.load.unanswered)
  return (
    `${report.load.failed} failed: ${judged} reached a release while it was judged (per release below), ` +
    `${stable} on a version outside its judged window (stable's own errors, in flight at a rollback)` +
    (report.load.unanswered > 0 ? `, ${report.load.unanswered} got no answer from any version` : '')
  )
}
