/**
 * Reaching the daemon of a state directory: the one recorded in `api.json` if its process runs (a
 * recorded pid that is gone, or a zombie, counts as none), else one started now in the background.
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { DaemonUnavailableError } from '../errors.js'
import { DaemonClient } from '../local/daemon/client.js'
import {
  daemonLogPath,
  hasState,
  prepareStateDir,
  isAlive,
  isRunning,
  lockOwner,
  readApiInfo,
  resolveStateDir,
} from '../local/daemon/paths.js'
import type { CliContext } from './context.js'

/** Exit code of a daemon that found its state directory owned by another (DaemonUnavailableError). */
const DIRECTORY_IN_USE = 5

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The `bin/kanari` script of this installation, used to start a daemon in the background. */
export function kanariBin(): string {
  return fileURLToPath(new URL('../../bin/kanari', import.meta.url))
}

/** The daemon recorded in `stateDir`, if its process is running. */
export function runningDaemon(stateDir: string): DaemonClient | undefined {
  const info = readApiInfo(stateDir)
  return info !== undefined && isRunning(info.pid) ? new DaemonClient(stateDir, info) : undefined
}

export interface StartedDaemon {
  client: DaemonClient
  /** False when another daemon took the directory first (two started at once): that one answered. */
  started: boolean
}

/**
 * Starts a daemon for `stateDir` in the background and waits until a daemon answers there: the new
 * one, or the one that won the directory when two were started at the same moment.
 */
export async function startDaemon(stateDir: string, timeoutMs = 20_000): Promise<StartedDaemon> {
  prepareStateDir(stateDir)
  await waitForReaping(stateDir)
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
    const client = runningDaemon(stateDir)
    if (client !== undefined && (await answers(client)))
      return { client, started: client.info.pid === child.pid }
    if (state.exited !== null) {
      const owner = lockOwner(stateDir)
      const anotherStarting =
        state.exited === DIRECTORY_IN_USE &&
        owner !== undefined &&
        owner !== child.pid &&
        isRunning(owner)
      if (!anotherStarting)
        throw new DaemonUnavailableError(
          `the daemon for ${stateDir} exited at start (code ${state.exited})`,
          { hint: `see ${daemonLogPath(stateDir)}` },
        )
    }
    await sleep(100)
  }
  throw new DaemonUnavailableError(
    `the daemon for ${stateDir} did not start within ${timeoutMs / 1000}s`,
    { hint: `see ${daemonLogPath(stateDir)}` },
  )
}

/**
 * The daemon for a command that needs one: the running one, else one started now if the directory
 * has state to serve (a daemon ran there before: stopped, or killed) or the command `creates` some.
 * Starting one is said on stderr, with where its state is, so stdout stays the command's output.
 */
export async function connectDaemon(
  ctx: CliContext,
  options: { stateDir?: string },
  { creates = false }: { creates?: boolean } = {},
): Promise<DaemonClient> {
  const stateDir = resolveStateDir(options.stateDir)
  const running = runningDaemon(stateDir)
  if (running !== undefined) return running
  if (!creates && !hasState(stateDir))
    throw new DaemonUnavailableError(
      `no Kanari daemon runs in ${stateDir}, and nothing was ever applied there`,
      {
        hint: `the state directory is .kanari in the working directory (or --state-dir, or $KANARI_STATE_DIR): run this where you ran \`${ctx.invokedAs} apply\`, pass --state-dir, or apply a rollout first`,
      },
    )
  const { client, started } = await startDaemon(stateDir)
  if (started)
    ctx.io.stderr.write(
      `started a Kanari daemon (pid ${client.info.pid}, ${client.info.url}); its state is in ${stateDir}\n`,
    )
  return client
}

async function answers(client: DaemonClient): Promise<boolean> {
  try {
    await client.get('/api/v1/health')
    return true
  } catch {
    return false
  }
}

/**
 * A daemon killed a moment ago can still hold the directory lock as a zombie until it is reaped;
 * a new daemon would take it for a live owner. Waits (briefly) for such processes to go.
 */
async function waitForReaping(stateDir: string, timeoutMs = 3000): Promise<void> {
  const pids = [readApiInfo(stateDir)?.pid, lockOwner(stateDir)].filter(
    (p): p is number => p !== undefined && p !== process.pid,
  )
  const deadline = Date.now() + timeoutMs
  while (pids.some((p) => isAlive(p) && !isRunning(p)) && Date.now() < deadline) await sleep(50)
}
