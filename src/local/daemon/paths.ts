/**
 * Where a local daemon keeps its state and how clients find it: `<stateDir>/api.json` holds the
 * API address, the token for state-changing calls, and the daemon's pid (mode 0600).
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { isAlive } from '../process-alive.js'

export const DEFAULT_STATE_DIR = '.kanari'

export interface ApiInfo {
  url: string
  token: string
  pid: number
  startedAt: number
  version: string
}

export function resolveStateDir(dir: string | undefined): string {
  return resolve(dir ?? process.env.KANARI_STATE_DIR ?? DEFAULT_STATE_DIR)
}

export function apiInfoPath(stateDir: string): string {
  return join(stateDir, 'api.json')
}

/** Where `kanari up` sends the background daemon's output. */
export function daemonLogPath(stateDir: string): string {
  return join(stateDir, 'daemon.log')
}

export function writeApiInfo(stateDir: string, info: ApiInfo): void {
  const path = apiInfoPath(stateDir)
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
}

export function readApiInfo(stateDir: string): ApiInfo | undefined {
  try {
    return JSON.parse(readFileSync(apiInfoPath(stateDir), 'utf8')) as ApiInfo
  } catch {
    return undefined
  }
}

/**
 * Whether a daemon has ever run in `stateDir`: its SQLite store (`kanari.db`, named by the store)
 * outlives it, so commands can tell "stopped or killed" from "nothing was ever applied here".
 */
export function hasState(stateDir: string): boolean {
  return existsSync(join(stateDir, 'kanari.db'))
}

/** The pid in `<stateDir>/daemon.lock`: the daemon that owns the directory, or one starting up. */
export function lockOwner(stateDir: string): number | undefined {
  try {
    const pid = (
      JSON.parse(readFileSync(join(stateDir, 'daemon.lock'), 'utf8')) as { pid?: unknown }
    ).pid
    return typeof pid === 'number' ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether `pid` is a running process. Unlike `isAlive`, a zombie is not running: a daemon killed a
 * moment ago stays one until its parent reaps it (for ever where nothing reaps), and answers nothing.
 */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    // No /proc (macOS) or it has just gone: the signal check is all there is.
    return isAlive(pid)
  }
  // `pid (comm) S …`: the state letter follows the last parenthesis (comm may contain one).
  return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z'
}

export { isAlive }
