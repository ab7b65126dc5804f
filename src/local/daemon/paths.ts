/**
 * Where a local daemon keeps its state and how clients find it: `<stateDir>/api.json` holds the
 * API address, the token for state-changing calls, and the daemon's pid (mode 0600). A state
 * directory that cannot be used is refused up front, with the real cause and what to do.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { InputError } from '../../errors.js'
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
  try {
    writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 })
    chmodSync(tmp, 0o600)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
  renameSync(tmp, path)
}

/**
 * Makes sure the state directory exists and this user can write in it. Refuses, as bad input (exit
 * 1), a directory on a read-only file system, one without write permission, a file in the way, or
 * one that cannot be created — naming the directory, the real cause and what to do. A full disk is
 * not refused: the daemon starts and says so.
 */
export function prepareStateDir(dir: string): void {
  let existing = dir
  while (!exists(existing) && dirname(existing) !== existing) existing = dirname(existing)
  if (!isDirectory(existing)) throw stateDirError(dir, `${existing} is a file`, 'ENOTDIR')
  if (existing !== dir) {
    try {
      mkdirSync(dir, { recursive: true })
    } catch (err) {
      // A recursive mkdir can report ENOENT for what is EROFS or EACCES: create the first missing
      // level alone to learn the real cause.
      const first = firstMissing(dir, existing)
      throw stateDirError(dir, `cannot create ${first}`, causeOf(() => mkdirSync(first)) ?? err)
    }
  }
  const probe = join(dir, `.kanari-write-check-${process.pid}`)
  const failure = causeOf(() => {
    closeSync(openSync(probe, 'wx'))
    rmSync(probe, { force: true })
  })
  // No space for even an empty file still lets the daemon start, read-only, and say so.
  const code = (failure as NodeJS.ErrnoException | undefined)?.code
  if (failure !== undefined && code !== 'ENOSPC' && code !== 'EDQUOT')
    throw stateDirError(dir, `cannot write in ${dir}`, failure)
}

function stateDirError(dir: string, what: string, cause: unknown): InputError {
  const code =
    typeof cause === 'string' ? cause : ((cause as NodeJS.ErrnoException).code ?? 'error')
  const why: Record<string, string> = {
    EROFS: 'read-only file system',
    EACCES: `permission denied for user ${userName()}`,
    EPERM: `operation not permitted for user ${userName()}`,
    ENOTDIR: 'not a directory',
    ENOENT: 'no such file or directory',
  }
  const reason = why[code] ?? (cause instanceof Error ? cause.message : code)
  return new InputError(`state directory ${dir} cannot be used: ${what} (${code}: ${reason})`, {
    hint:
      code === 'EACCES' || code === 'EPERM'
        ? `give ${userName()} write access to it, or use another directory: --state-dir DIR or KANARI_STATE_DIR=DIR`
        : 'use a writable directory: --state-dir DIR or KANARI_STATE_DIR=DIR',
    ...(typeof cause === 'string' ? {} : { cause }),
  })
}

function causeOf(fn: () => void): unknown {
  try {
    fn()
    return undefined
  } catch (err) {
    return err
  }
}

function exists(path: string): boolean {
  try {
    statSync(path)
    return true
  } catch {
    return false
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** The first directory level of `dir` below its existing ancestor `existing`. */
function firstMissing(dir: string, existing: string): string {
  let first = dir
  while (dirname(first) !== existing && dirname(first) !== first) first = dirname(first)
  return first
}

function userName(): string {
  return process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`
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
