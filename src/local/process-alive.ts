/** Whether a process is still running, for any part of the local runtime that records pids. */

/** Signal 0 only checks: EPERM means the process exists but belongs to another user. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
