/**
 * The processes a demo's state directory stands for, seen from outside through /proc (Linux): the
 * daemon names the directory on its command line; the daemon and every replica write their output there.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

export interface OwnedProcess {
  pid: number
  /** Clock ticks after boot at which it started: with the pid, names this process and no later one. */
  startTime: string
  /** Started by the supervisor: carries KANARI_REPLICA_ID. */
  replica: boolean
}

/** State and start time from /proc/<pid>/stat; the command name before them may contain anything. */
function stat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    // Fields 3 (state) and 22 (starttime) of proc(5), counted after the name's closing parenthesis.
    return { state: fields[0] ?? '', startTime: fields[19] ?? '' }
  } catch {
    return undefined
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return ''
  }
}

function stdoutOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/fd/1`)
  } catch {
    return ''
  }
}

/** The process `pid` is now, if it runs (a zombie has finished and only waits to be reaped). */
export function processNow(pid: number): OwnedProcess | undefined {
  const s = stat(pid)
  if (s === undefined || s.state === 'Z') return undefined
  const replica = read(`/proc/${pid}/environ`)
    .split('\0')
    .some((v) => v.startsWith('KANARI_REPLICA_ID='))
  return { pid, startTime: s.startTime, replica }
}

/** Every running process that names `stateDir` in its arguments or writes its stdout inside it. */
export function ownedProcesses(stateDir: string): OwnedProcess[] {
  const owned: OwnedProcess[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === process.pid) continue
    const argv = read(`/proc/${pid}/cmdline`).split('\0')
    // A removed log file still shows, as "<path> (deleted)".
    if (!argv.includes(stateDir) && !stdoutOf(pid).startsWith(`${stateDir}/`)) continue
    const now = processNow(pid)
    if (now !== undefined) owned.push(now)
  }
  return owned
}

/** Whether the very process seen earlier still runs (not merely a later one with its pid). */
export function stillRunning(p: OwnedProcess): boolean {
  return processNow(p.pid)?.startTime === p.startTime
}
