/** Stopping a replica's whole process group: SIGTERM first, SIGKILL if it outlives the grace period. */
import type { Replica } from './replica.js'

const STOP_GRACE_MS = 5_000

/** Signals the group so the replica's own children go too; the pid alone if there is no such group. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}

export function terminate(r: Replica, pid: number): void {
  killGroup(pid, 'SIGTERM')
  const force = setTimeout(() => {
    if (r.pid !== null) killGroup(r.pid, 'SIGKILL')
  }, STOP_GRACE_MS)
  // A pending force-kill must not keep the process alive on its own.
  force.unref()
  void r.exited.then(() => clearTimeout(force))
}
