/** Whether a process is still running, for any part of the local runtime that records pids. */
import { readFileSync } from 'node:fs'

/** Signal 0 only checks: EPERM means the process exists but belongs to another user. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether `pid` carries `name=value` in its environment: ours, not a stranger that reused the pid. */
export function carriesEnv(pid: number, name: string, value: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${name}=${value}`)
  } catch {
    return false
  }
}
