/**
 * Starting one replica's process: its port as PORT, its identity in the environment, its own process
 * group, and stdout and stderr to the descriptor its output channel gives.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { ReplicaSetSpec } from './types.js'

/** Carried by every replica we start, so a later daemon can tell our process from a reused pid. */
export const REPLICA_ID_ENV = 'KANARI_REPLICA_ID'

/**
 * Detached, so the replica leads its own process group: stopping kills its children too, and a
 * daemon killed with -9 does not take it down.
 */
export function spawnReplica(
  spec: ReplicaSetSpec,
  replica: { id: string },
  port: number,
  output: number | 'ignore',
): ChildProcess {
  const [cmd, ...args] = spec.command
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
    stdio: ['ignore', output, output],
  })
}
