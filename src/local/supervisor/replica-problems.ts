/**
 * Why replicas are not ready, in the supervisor's own facts: the command could not be started, the
 * process exited before it was ever ready (with its code and last output), it keeps crashing, or it
 * runs and fails its readiness probe. A replica set reports the most telling of its replicas'.
 */
import { existsSync } from 'node:fs'
import type { WorkloadProblemReason } from '../../engine/types.js'
import { describeProbe } from './readiness-probe.js'
import type { Replica } from './replica.js'
import { crashesInWindow, isCrashLooping } from './restart-backoff.js'
import type { ReplicaProblem, ReplicaSetSpec } from './types.js'

/** A running replica may take this long to pass readiness (after the probe's initial delay). */
export const NOT_READY_AFTER_MS = 5_000
const OUTPUT_LINES = 3

/** Most telling first: a set whose command is missing is not "crash-looping". */
const PRIORITY: readonly WorkloadProblemReason[] = [
  'CommandNotFound',
  'CannotStart',
  'CrashLoop',
  'ExitedAtStart',
  'NotReady',
]

/** The problem of a failed spawn, worked out once when it happens. */
export function spawnProblem(err: NodeJS.ErrnoException, spec: ReplicaSetSpec): ReplicaProblem {
  const command = spec.command[0] ?? '(no command)'
  const code = err.code ?? 'error'
  if (code === 'ENOENT' && !existsSync(spec.cwd))
    return {
      reason: 'CannotStart',
      message: `working directory ${spec.cwd} does not exist (spawn ENOENT)`,
    }
  if (code === 'ENOENT')
    return {
      reason: 'CommandNotFound',
      message: `command ${command} not found${command.includes('/') ? '' : ' in PATH'} (spawn ENOENT)`,
    }
  if (code === 'EACCES')
    return {
      reason: 'CannotStart',
      message: `command ${command} is not executable by the daemon's user (spawn EACCES)`,
    }
  return { reason: 'CannotStart', message: `cannot start ${command}: ${err.message}` }
}

export function replicaProblem(
  r: Replica,
  spec: ReplicaSetSpec | undefined,
  host: string,
  now: number,
): ReplicaProblem | undefined {
  if (r.state === 'stopping' || r.state === 'ready') return undefined
  if (r.spawnProblem !== undefined) return r.spawnProblem
  const name = `replica ${r.index}`
  if (isCrashLooping(r, now))
    return {
      reason: 'CrashLoop',
      message: `${name} keeps crashing: ${crashesInWindow(r, now)} exits in the last minute, the last ${exitText(r)}${lastOutput(r)}`,
    }
  const runningFor = now - r.notReadySince
  if (r.startFailure !== undefined && (r.pid === null || runningFor < NOT_READY_AFTER_MS))
    return {
      reason: 'ExitedAtStart',
      message: `${name} exited ${exitText(r)} ${seconds(r.startFailure.afterMs)} after it started, before it was ready${lastOutput(r)}`,
    }
  const grace = NOT_READY_AFTER_MS + (spec?.readiness?.initialDelaySeconds ?? 0) * 1000
  if (r.pid !== null && r.state !== 'backoff' && runningFor > grace)
    return {
      reason: 'NotReady',
      message: `${name} (pid ${r.pid}) has not passed readiness for ${seconds(runningFor)}: ${describeProbe(host, r.port, spec?.readiness)} — ${r.lastProbeFailure ?? 'no answer yet'}`,
    }
  return undefined
}

/** The set's problem: the most telling of its replicas' (the lowest index among equals). */
export function setProblem(problems: (ReplicaProblem | undefined)[]): ReplicaProblem | undefined {
  for (const reason of PRIORITY) {
    const found = problems.find((p) => p?.reason === reason)
    if (found !== undefined) return found
  }
  return undefined
}

function exitText(r: Replica): string {
  const exit = r.lastExit
  if (exit === undefined) return 'unexpectedly'
  if (exit.code !== null) return `with code ${exit.code}`
  if (exit.signal !== null) return `on ${exit.signal}`
  return 'unexpectedly'
}

function lastOutput(r: Replica): string {
  const lines = r.output.recentLines(OUTPUT_LINES, r.lastExit?.at)
  return lines.length === 0 ? '; it wrote no output' : `; last output: ${lines.join(' ⏎ ')}`
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`
}
