/**
 * Re-adopting the replicas a previous daemon recorded: only those still running and still ours,
 * as a pid may have been reused by an unrelated process in the meantime.
 */
import { readFileSync } from 'node:fs'
import { isAlive } from '../process-alive.js'
import { newReplica, type OutputPlace, type Replica } from './replica.js'
import type { ReplicaRecord } from '../replica-record.js'
import { REPLICA_ID_ENV } from './spawn-replica.js'

/** Whether `pid` is a replica we started: its environment carries our replica id. */
function isOurs(pid: number, id: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .includes(`${REPLICA_ID_ENV}=${id}`)
  } catch {
    return false
  }
}

export function isAdoptable(rec: ReplicaRecord): boolean {
  return isAlive(rec.pid) && isOurs(rec.pid, rec.id)
}

/**
 * An adopted replica is not our child: there is no handle, and its exit is seen by polling. It is
 * probed like any other before it counts as ready; its output goes on through its FIFO.
 */
export function adoptedReplica(place: OutputPlace, rec: ReplicaRecord): Replica {
  const r: Replica = {
    ...newReplica(place, rec.key, rec.index, 0, rec.logPath),
    pid: rec.pid,
    port: rec.port,
    startedAt: rec.startedAt,
    adopted: true,
    state: 'starting',
  }
  r.output.reattach()
  return r
}
