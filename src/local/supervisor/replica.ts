/**
 * The supervisor's working state for one replica and one replica set: the public status plus the
 * process handle, log file, probe schedule and crash history behind it.
 */
import type { ChildProcess } from 'node:child_process'
import type { ReplicaRecord } from '../replica-record.js'
import { replicaLogPath } from './replica-logs.js'
import type { ReplicaSetSpec, ReplicaStatus } from './types.js'

export interface Replica extends ReplicaStatus {
  child: ChildProcess | undefined
  logPath: string
  exits: number[]
  probeFailures: number
  nextProbeAt: number
  restartAt: number
  consecutiveCrashes: number
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

export function newReplica(
  stateDir: string,
  key: string,
  index: number,
  restarts: number,
): Replica {
  return {
    id: `${key}#${index}`,
    key,
    index,
    pid: null,
    port: 0,
    state: 'starting',
    restarts,
    startedAt: Date.now(),
    adopted: false,
    child: undefined,
    logPath: replicaLogPath(stateDir, key, index),
    exits: [],
    probeFailures: 0,
    nextProbeAt: 0,
    restartAt: 0,
    consecutiveCrashes: 0,
    ...exitLatch(),
  }
}

export function replicaStatus(r: Replica): ReplicaStatus {
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
  }
  if (r.lastExit !== undefined) s.lastExit = r.lastExit
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
