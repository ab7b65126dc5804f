/**
 * Where a local daemon keeps its state and how clients find it: `<stateDir>/api.json` holds the
 * API address, the token for state-changing calls, and the daemon's pid (mode 0600).
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

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

export { isAlive } from '../process-alive.js'
