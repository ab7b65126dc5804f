/**
 * The supervisor's working state for one replica and one replica set: the public status plus the
 * process handle, output channel, probe schedule, crash history and start failures behind it.
 */
import type { ChildProcess } from 'node:child_process'
import type { ReplicaRecord } from '../replica-record.js'
import { replicaLogPath } from './replica-logs.js'
import type { OutputRelayLink } from './output-relay/relay-link.js'
import { ReplicaOutput } from './replica-output.js'
import type { ReplicaProblem, ReplicaSetSpec, ReplicaStatus } from './types.js'

export interface Replica extends Omit<ReplicaStatus, 'droppedLogBytes' | 'problem'> {
  child: ChildProcess | undefined
  logPath: string
  output: ReplicaOutput
  exits: number[]
  probeFailures: number
  nextProbeAt: number
  restartAt: number
  consecutiveCrashes: number
  /** When its current process was spawned. */
  spawnedAt: number
  /** Since when it has been running without passing readiness (its start, or turning unready). */
  notReadySince: number
  /** Its current process has passed readiness at least once. */
  wasReady: boolean
  /** Why the last probe failed ("connection refused", "HTTP 503"…), until one passes. */
  lastProbeFailure: string | undefined
  /** The last attempt to start its command failed (not found, not executable…). */
  spawnProblem: ReplicaProblem | undefined
  /** Its last process exited before it was ever ready, this long after it started. */
  startFailure: { afterMs: number } | undefined
  /** The problem last reported for it. */
  problem: ReplicaProblem | undefined
  exited: Promise<void>
  markExited: () => void
}

export interface ReplicaSet {
  spec: ReplicaSetSpec | undefined
  replicas: Map<number, Replica>
}

/** A fresh promise per process, so waiting for a stop never resolves on an earlier process's exit. */
export function exitLatch(): Pick<Replica, 'exited' | 'markExited'> {
  let markExited: () => void = () => undefined
  const exited = new Promise<void>((resolve) => (markExited = resolve))
  return { exited, markExited }
}

/** Where a supervisor's replicas put their output: its state directory, through its relay. */
export interface OutputPlace {
  stateDir: string
  relay: OutputRelayLink
  log?: (line: string) => void
}

export function newReplica(
  place: OutputPlace,
  key: string,
  index: number,
  restarts: number,
  logPath = replicaLogPath(place.stateDir, key, index),
): Replica {
  const now = Date.now()
  return {
    id: `${key}#${index}`,
    key,
    index,
    pid: null,
    port: 0,
    state: 'starting',
    restarts,
    startedAt: now,
    adopted: false,
    child: undefined,
    logPath,
    output: new ReplicaOutput(logPath, place.relay, place.log),
    exits: [],
    probeFailures: 0,
    nextProbeAt: 0,
    restartAt: 0,
    consecutiveCrashes: 0,
    spawnedAt: now,
    notReadySince: now,
    wasReady: false,
    lastProbeFailure: undefined,
    spawnProblem: undefined,
    startFailure: undefined,
    problem: undefined,
    ...exitLatch(),
  }
}

export function replicaStatus(r: Replica, problem: ReplicaProblem | undefined): ReplicaStatus {
  const s: ReplicaStatus = {
    id: r.id,
    key: r.key,
    index: r.index,
    pid: r.pid,
    port: r.port,
    state: r.state,
    restarts: r.restarts,
    startedAt: r.startedAt,
    adopted: r.adopted,
    droppedLogBytes: r.output.droppedBytes,
  }
  if (r.lastExit !== undefined) s.lastExit = r.lastExit
  if (problem !== undefined) s.problem = problem
  return s
}

export function replicaRecord(r: Replica, pid: number): ReplicaRecord {
  return {
    id: r.id,
    key: r.key,
    index: r.index,
    pid,
    port: r.port,
    startedAt: r.startedAt,
    logPath: r.logPath,
  }
}
