/**
 * The processes a demo's state directory stands for — its daemon, the replicas and proxies that
 * daemon recorded, and its output relay — found without asking the daemon, for when it cannot
 * answer or is not up yet.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive, lockOwner, readApiInfo } from '../local/daemon/paths.js'
import { StateStore, type ReplicaRecord } from '../local/store/index.js'
import { carriesEnv } from '../local/process-alive.js'
import {
  PROXY_ID_ENV,
  PROXY_RECORD_PREFIX,
  type ProxyHostRecord,
} from '../local/proxy-host/protocol.js'
import { isAdoptable } from '../local/supervisor/adoption.js'
import { isRelayCommandLine } from '../local/supervisor/output-relay/protocol.js'

/** Alive and not a zombie: a dead child waiting to be reaped still answers signal 0. */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // The command name in parentheses may itself contain spaces or parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    // No /proc (not Linux), or the process went away between the two checks.
    return isAlive(pid)
  }
}

function argvOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  } catch {
    return undefined
  }
}

/** Whether `pid` runs `kanari daemon --state-dir <stateDir>` (trusted as such where /proc is missing). */
function isDaemonOf(pid: number, stateDir: string): boolean {
  if (!isRunning(pid)) return false
  const argv = argvOf(pid)
  if (argv === undefined) return true
  const at = argv.indexOf('--state-dir')
  return argv.includes('daemon') && at >= 0 && argv[at + 1] === stateDir
}

/** Every pid in /proc but ours; none where there is no /proc. */
function allPids(): number[] {
  let entries: string[] = []
  try {
    entries = readdirSync('/proc')
  } catch {
    // not Linux
  }
  return entries.flatMap((e) => (/^\d+$/.test(e) && Number(e) !== process.pid ? [Number(e)] : []))
}

/**
 * Daemons running for `stateDir`: the pid in api.json (once it serves), the one in daemon.lock (once
 * it opened the store) and, on Linux, any process started for it that has written neither yet.
 */
export function daemonPids(stateDir: string): number[] {
  const candidates = new Set<number>(allPids())
  const fromApi = readApiInfo(stateDir)?.pid
  if (fromApi !== undefined) candidates.add(fromApi)
  const fromLock = lockOwner(stateDir)
  if (fromLock !== undefined) candidates.add(fromLock)
  candidates.delete(process.pid)
  return [...candidates].filter((pid) => isDaemonOf(pid, stateDir))
}

/** The output relay of `stateDir` (on Linux, by its command line), which outlives its daemon on purpose. */
export function relayPids(stateDir: string): number[] {
  return allPids().filter((pid) => {
    const argv = argvOf(pid)
    return argv !== undefined && isRelayCommandLine(argv, stateDir) && isRunning(pid)
  })
}

/** Proxy processes the daemon of `stateDir` recorded that still run and are still ours. */
export function recordedProxies(stateDir: string): ProxyHostRecord[] {
  if (!existsSync(join(stateDir, 'kanari.db'))) return []
  try {
    const store = StateStore.open(stateDir, { lock: false })
    try {
      return store.meta
        .withPrefix(PROXY_RECORD_PREFIX)
        .map((m) => JSON.parse(m.value) as ProxyHostRecord)
        .filter((r) => isRunning(r.pid) && carriesEnv(r.pid, PROXY_ID_ENV, r.id))
    } finally {
      store.close()
    }
  } catch {
    return []
  }
}

/**
 * Replicas the daemon of `stateDir` recorded that still run and are still ours (a recorded pid may
 * have been reused). Read from the store without its lock, as the daemon may still hold it.
 */
export function recordedReplicas(stateDir: string): ReplicaRecord[] {
  if (!existsSync(join(stateDir, 'kanari.db'))) return []
  try {
    const store = StateStore.open(stateDir, { lock: false })
    try {
      return store.replicas.list().filter(isAdoptable)
    } finally {
      store.close()
    }
  } catch {
    return []
  }
}
