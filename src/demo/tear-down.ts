/**
 * Stopping everything a demo started and removing its state directory: the daemon is asked to shut
 * down (it stops its replicas, proxies and output relay), and killed with the replicas it recorded,
 * its proxies and its relay if it cannot or is too slow.
 */
import { existsSync, rmSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import type { DaemonClient } from '../local/daemon/client.js'
import { isAdoptable } from '../local/supervisor/adoption.js'
import { relaySocketPath } from '../local/supervisor/output-relay/protocol.js'
import { killGroup } from '../local/supervisor/process-group.js'
import {
  daemonPids,
  isRunning,
  recordedProxies,
  recordedReplicas,
  relayPids,
} from './demo-processes.js'

/** Time kept at the end of the budget for SIGKILL to land and the kernel to let the processes go. */
const KILL_MS = 3_000
/** A daemon that serves its API answers a shutdown request at once; one that does not is stuck. */
const ASK_MS = 3_000

export interface TearDownOptions {
  stateDir: string
  /** The daemon's client, if it got as far as answering; found by its pid otherwise. */
  client: DaemonClient | undefined
  /** Epoch ms by which everything is gone: asked politely until shortly before, then killed. */
  deadline: number
  /** Aborted to stop asking politely and kill at once (a second Ctrl-C). */
  hurry: AbortSignal
}

export interface TearDownResult {
  daemonPids: number[]
  /** Replicas that were running when the teardown began. */
  replicas: number
  /** Pids still running at the deadline; the state directory is kept for them. */
  survivors: number[]
  removed: boolean
}

/** Resolves when none of `pids()` runs, at `until`, or when `hurry` aborts, whichever is first. */
async function waitGone(pids: () => number[], until: number, hurry?: AbortSignal): Promise<void> {
  while (pids().some(isRunning) && Date.now() < until && hurry?.aborted !== true) await delay(100)
}

/** Whether the daemon accepted the shutdown request within `timeoutMs`. */
async function askToShutDown(
  client: DaemonClient,
  timeoutMs: number,
  hurry: AbortSignal,
): Promise<boolean> {
  const asked = client.post('/api/v1/shutdown').then(
    () => true,
    () => false,
  )
  const giveUp = delay(timeoutMs, false, { signal: hurry }).catch(() => false)
  return Promise.race([asked, giveUp])
}

/** Sends `sig` to one process; one that is already gone needs nothing. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // already gone
  }
}

export async function tearDown(options: TearDownOptions): Promise<TearDownResult> {
  const { stateDir, client, deadline, hurry } = options
  const daemons = new Set(daemonPids(stateDir))
  if (client !== undefined && isRunning(client.info.pid)) daemons.add(client.info.pid)
  const replicas = new Map(recordedReplicas(stateDir).map((r) => [r.pid, r]))
  const proxies = new Set(recordedProxies(stateDir).map((p) => p.pid))
  const relays = new Set(relayPids(stateDir))
  const runningAtStart = replicas.size
  const all = (): number[] => [...daemons, ...replicas.keys(), ...proxies, ...relays]
  const killAt = deadline - KILL_MS

  if (!hurry.aborted && daemons.size > 0) {
    const answered =
      client !== undefined &&
      (await askToShutDown(client, Math.min(ASK_MS, killAt - Date.now()), hurry))
    // A daemon that cannot answer, or is still starting, stops its replicas on SIGTERM too.
    if (!answered) for (const pid of daemons) signal(pid, 'SIGTERM')
    await waitGone(all, killAt, hurry)
  }

  for (const pid of daemons) if (isRunning(pid)) signal(pid, 'SIGKILL')
  await waitGone(() => [...daemons], deadline)
  // With its daemon gone, whatever the store still lists was never stopped: kill it by its group.
  for (const rec of recordedReplicas(stateDir)) replicas.set(rec.pid, rec)
  for (const rec of replicas.values()) if (isAdoptable(rec)) killGroup(rec.pid, 'SIGKILL')
  // Proxies outlive their daemon on purpose; here nothing is to outlive the demo.
  for (const rec of recordedProxies(stateDir)) proxies.add(rec.pid)
  for (const pid of proxies) if (isRunning(pid)) signal(pid, 'SIGKILL')
  // So does the output relay (started, perhaps, after the teardown began).
  for (const pid of relayPids(stateDir)) relays.add(pid)
  for (const pid of relays) if (isRunning(pid)) signal(pid, 'SIGKILL')
  await waitGone(all, deadline)

  const survivors = all().filter(isRunning)
  try {
    if (survivors.length === 0) {
      rmSync(stateDir, { recursive: true, force: true })
      // A long state directory's relay socket is in the temp directory instead.
      rmSync(relaySocketPath(stateDir), { force: true })
    }
  } catch {
    // Reported through `removed`: a cleanup that cannot finish still says what it left behind.
  }
  return {
    daemonPids: [...daemons],
    replicas: runningAtStart,
    survivors,
    removed: !existsSync(stateDir),
  }
}
