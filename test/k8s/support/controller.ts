/**
 * The controller as a real process (`bin/kanari controller`), watching one test namespace: started,
 * stopped with SIGTERM or killed with SIGKILL by its own pid, its log kept for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { KUBECONFIG, waitFor } from './kube.js'

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'kanari')

export interface ControllerProcess {
  pid: number
  log: string[]
  metricsPort: number
  exited: Promise<number | null>
  /** Resolves once this replica logs that it reconciles (it leads, or runs without election). */
  leading: Promise<void>
  stop(): Promise<void>
  kill(): Promise<void>
  metrics(): Promise<string>
}

export interface ControllerArgs {
  namespace: string
  /** Campaign for a Lease in the namespace (default: no election, reconcile at once). */
  leaderElection?: boolean
  identity?: string
  extra?: string[]
  env?: NodeJS.ProcessEnv
}

export async function startController(args: ControllerArgs): Promise<ControllerProcess> {
  const argv = [
    BIN,
    'controller',
    '--kubeconfig',
    KUBECONFIG,
    '--namespace',
    args.namespace,
    '--metrics-address',
    '127.0.0.1:0',
    '--tick',
    '0.5',
    '--resync',
    '5',
    ...(args.leaderElection === true
      ? [
          '--leader-election-namespace',
          args.namespace,
          // client-go's defaults: a leader steps down only after 10 s without a renewal, so
          // a replica slowed down by a busy machine keeps its lease (a standby takes over 15 s
          // after the leader's last renewal).
          '--lease-duration',
          '15',
          '--renew-deadline',
          '10',
          '--retry-period',
          '2',
        ]
      : ['--no-leader-elect']),
    ...(args.extra ?? []),
  ]
  const child: ChildProcess = spawn(process.execPath, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...(args.identity === undefined ? {} : { POD_NAME: args.identity }),
      ...args.env,
    },
  })
  const log: string[] = []
  let leadingResolve!: () => void
  const leading = new Promise<void>((r) => (leadingResolve = r))
  let metricsPort = 0
  const onLine = (line: string): void => {
    log.push(line)
    if (process.env.KANARI_K8S_VERBOSE === '1')
      process.stderr.write(`[controller ${child.pid}] ${line}\n`)
    const m = /serving \/healthz, \/readyz and \/metrics on [^:]+:(\d+)/.exec(line)
    if (m?.[1] !== undefined) metricsPort = Number(m[1])
    if (/ reconciles$/.test(line)) leadingResolve()
  }
  let buffered = ''
  const onData = (chunk: Buffer): void => {
    buffered += chunk.toString('utf8')
    let i = buffered.indexOf('\n')
    while (i >= 0) {
      onLine(buffered.slice(0, i))
      buffered = buffered.slice(i + 1)
      i = buffered.indexOf('\n')
    }
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  const pid = child.pid
  if (pid === undefined) throw new Error('the controller did not start')
  await waitFor(
    `the controller to serve its metrics (log: ${log.slice(-5).join(' | ')})`,
    () => Promise.resolve(metricsPort > 0 ? true : undefined),
    60_000,
  )
  const alive = (): boolean => child.exitCode === null && child.signalCode === null
  return {
    pid,
    log,
    get metricsPort() {
      return metricsPort
    },
    exited,
    leading,
    async stop() {
      if (alive()) child.kill('SIGTERM')
      await exited
    },
    async kill() {
      if (alive()) child.kill('SIGKILL')
      await exited
    },
    async metrics() {
      try {
        const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
        return await res.text()
      } catch (err) {
        // A refused connection means the process stopped serving: say why, from its own log.
        const state = alive()
          ? 'still running'
          : `exited (${child.signalCode ?? `code ${String(child.exitCode)}`})`
        const cause =
          err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : ''
        throw new Error(
          `GET /metrics of controller ${pid} on port ${metricsPort} failed (${err instanceof Error ? err.message : String(err)}${cause}); the process has ${state}; its last log lines:\n${log.slice(-15).join('\n')}`,
          { cause: err },
        )
      }
    },
  }
}
