/**
 * Starting one replica's process: its port as PORT, its identity in the environment, its own process
 * group, and stdout and stderr appended to its log file.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { capLog } from './replica-logs.js'
import type { ReplicaSetSpec } from './types.js'

/** Carried by every replica we start, so a later daemon can tell our process from a reused pid. */
export const REPLICA_ID_ENV = 'KANARI_REPLICA_ID'

/**
 * Detached, so the replica leads its own process group: stopping kills its children too, and a
 * daemon killed with -9 does not take it down.
 */
export function spawnReplica(
  spec: ReplicaSetSpec,
  replica: { id: string; logPath: string },
  port: number,
): ChildProcess {
  capLog(replica.logPath)
  const fd = openSync(replica.logPath, 'a')
  const [cmd, ...args] = spec.command
  try {
    return spawn(cmd ?? 'false', args, {
      cwd: spec.cwd,
      env: {
        ...process.env,
        ...spec.env,
        PORT: String(port),
        [REPLICA_ID_ENV]: replica.id,
        KANARI_REVISION_KEY: spec.key,
      },
      detached: true,
      stdio: ['ignore', fd, fd],
    })
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd)
  }
}
