/**
 * Options every daemon-facing command shares (`--state-dir`, `--output`) and the helpers to reach
 * the daemon, starting it on demand for the commands that create things.
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { DaemonUnavailableError } from '../../errors.js'
import { DaemonClient } from '../../local/daemon/client.js'
import {
  daemonLogPath,
  isAlive,
  prepareStateDir,
  readApiInfo,
  resolveStateDir,
} from '../../local/daemon/paths.js'
import { parseOutputFormat, type OutputFormat } from '../context.js'

export interface CommonOptions {
  stateDir?: string
  output: OutputFormat
}

export function withCommon(cmd: Command): Command {
  return cmd
    .option(
      '--state-dir <dir>',
      'state directory of the local daemon (default: .kanari, or $KANARI_STATE_DIR)',
    )
    .option(
      '-o, --output <format>',
      'output format: table, json or yaml',
      parseOutputFormat,
      'table' as OutputFormat,
    )
}

export function stateDirOf(options: { stateDir?: string }): string {
  return resolveStateDir(options.stateDir)
}

/** The `bin/kanari` script of this installation, used to start a daemon in the background. */
export function kanariBin(): string {
  return fileURLToPath(new URL('../../../bin/kanari', import.meta.url))
}

/** Starts a daemon for `stateDir` in the background and waits until it answers. */
export async function startDaemonProcess(
  stateDir: string,
  timeoutMs = 20_000,
): Promise<DaemonClient> {
  prepareStateDir(stateDir)
  const logFd = openSync(daemonLogPath(stateDir), 'a')
  const child = spawn(process.execPath, [kanariBin(), 'daemon', '--state-dir', stateDir], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: process.env,
  })
  closeSync(logFd)
  const state: { exited: number | null } = { exited: null }
  child.on('exit', (code) => (state.exited = code ?? 1))
  child.unref()
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (state.exited !== null) {
      throw new DaemonUnavailableError(
        `the daemon for ${stateDir} exited at start (code ${state.exited})`,
        { hint: `see ${daemonLogPath(stateDir)}` },
      )
    }
    const info = readApiInfo(stateDir)
    if (info !== undefined && info.pid === child.pid) {
      const client = new DaemonClient(stateDir, info)
      try {
        await client.get('/api/v1/health')
        return client
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new DaemonUnavailableError(
    `the daemon for ${stateDir} did not start within ${timeoutMs / 1000}s`,
    { hint: `see ${daemonLogPath(stateDir)}` },
  )
}

/** The running daemon's client; with `autoStart`, starts one if none is running. */
export async function daemonClient(
  options: { stateDir?: string },
  autoStart = false,
): Promise<DaemonClient> {
  const stateDir = stateDirOf(options)
  const info = readApiInfo(stateDir)
  if (info !== undefined && isAlive(info.pid)) return new DaemonClient(stateDir, info)
  if (!autoStart) return DaemonClient.connect(stateDir)
  return startDaemonProcess(stateDir)
}
