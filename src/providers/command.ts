/**
 * The `command` metric provider (local mode): runs a program, without a shell, in its own process
 * group. Exit 0 is success and the last line of its stdout is the value (a number, or NaN / nothing
 * for no data); a non-zero exit, a signal, output that is not one number, or no exit in time is an
 * error — and a program still running at its timeout is killed with its whole group.
 */
import { spawn } from 'node:child_process'
import type { Measurement, MeasurementRequest } from '../analysis/types.js'
import type { MeasureContext, MetricProvider } from '../controller/ports.js'
import { excerpt } from './http.js'
import { fillMeasured, measuredVersion } from './measured-version.js'

export const DEFAULT_TIMEOUT_SECONDS = 30
/** Output kept from each stream: the value is the last line, messages quote the last words. */
const KEEP_BYTES = 64 * 1024
/** After SIGTERM at the timeout, how long the group has before SIGKILL. */
const KILL_GRACE_MS = 1000

export interface CommandProviderOptions {
  /** Where the program runs (local mode: the rollout's working directory); default: ours. */
  cwd?: () => string | undefined
  /** Added to the program's environment, e.g. KANARI_ROLLOUT. */
  env?: Record<string, string>
}

interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
  spawnError?: NodeJS.ErrnoException
}

function tail(chunks: Buffer[], size: number): { chunks: Buffer[]; size: number } {
  while (size > KEEP_BYTES && chunks.length > 1) size -= (chunks.shift() as Buffer).length
  return { chunks, size }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

function run(
  argv: string[],
  cwd: string | undefined,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Finished> {
  return new Promise((resolve) => {
    const [program, ...args] = argv
    const child = spawn(program ?? '', args, {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out: { chunks: Buffer[]; size: number } = { chunks: [], size: 0 }
    let err: { chunks: Buffer[]; size: number } = { chunks: [], size: 0 }
    child.stdout.on('data', (c: Buffer) => {
      out.chunks.push(c)
      out = tail(out.chunks, out.size + c.length)
    })
    child.stderr.on('data', (c: Buffer) => {
      err.chunks.push(c)
      err = tail(err.chunks, err.size + c.length)
    })
    let timedOut = false
    let killer: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      timedOut = true
      if (child.pid === undefined) return
      const pid = child.pid
      killGroup(pid, 'SIGTERM')
      killer = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS)
    }, timeoutMs)
    const finish = (f: Omit<Finished, 'stdout' | 'stderr' | 'timedOut'>): void => {
      clearTimeout(timer)
      if (killer !== undefined) clearTimeout(killer)
      // Whatever the group left behind goes too: a metric command leaves nothing running.
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL')
      resolve({
        ...f,
        timedOut,
        stdout: Buffer.concat(out.chunks).toString('utf8'),
        stderr: Buffer.concat(err.chunks).toString('utf8'),
      })
    }
    child.once('error', (e: NodeJS.ErrnoException) =>
      finish({ code: null, signal: null, spawnError: e }),
    )
    child.once('close', (code, signal) => finish({ code, signal }))
  })
}

/** The value of a command's output: its last non-empty line, one number. */
export function commandValue(stdout: string): { value: number | null } | { error: string } {
  const lines = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
  const last = lines.at(-1)
  if (last === undefined) return { value: null }
  if (last === 'NaN') return { value: Number.NaN }
  const n = Number(last)
  if (!Number.isNaN(n)) return { value: n }
  const words = last.split(/[\s,]+/)
  if (words.length > 1 && words.every((w) => w !== '' && !Number.isNaN(Number(w))))
    return {
      error: `the last line of its output holds ${words.length} numbers ("${excerpt(last, 60)}") where one is wanted: print one number on the last line`,
    }
  return {
    error: `the last line of its output is not a number: "${excerpt(last, 80)}"; print the value alone on the last line`,
  }
}

export class CommandProvider implements MetricProvider {
  constructor(private readonly options: CommandProviderOptions = {}) {}

  async measure(request: MeasurementRequest, context: MeasureContext): Promise<Measurement> {
    const plan = request.provider
    const metric = request.metric
    const at = Math.min(request.to, context.now)
    if (plan.kind !== 'command') return { metric, at, error: `not a command metric: ${plan.kind}` }
    const version = measuredVersion(context.traffic)
    const argv = plan.command.map((a) => fillMeasured(a, version))
    const name = excerpt(argv.join(' '), 80)
    const timeoutSeconds = plan.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS
    const cwd = this.options.cwd?.()
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.options.env,
      KANARI_METRIC: metric,
      KANARI_REVISION: version === undefined ? '' : String(version.revision),
      KANARI_ROLE: version?.role ?? '',
      KANARI_CANARY_REVISION: String(context.traffic.canaryRevision ?? ''),
      KANARI_STABLE_REVISION: String(context.traffic.stableRevision ?? ''),
      KANARI_CANARY_WEIGHT: String(context.traffic.canaryWeight),
      KANARI_WINDOW_FROM_MS: String(request.from),
      KANARI_WINDOW_TO_MS: String(at),
    }
    const done = await run(argv, cwd, env, timeoutSeconds * 1000)
    if (done.spawnError !== undefined) {
      const code = done.spawnError.code ?? 'error'
      const hint =
        code === 'ENOENT'
          ? `not found${cwd === undefined ? '' : ` (relative paths start from ${cwd})`}`
          : code === 'EACCES'
            ? 'not executable (chmod +x?)'
            : done.spawnError.message
      return { metric, at, error: `cannot run "${name}": ${hint} (${code})` }
    }
    if (done.timedOut)
      return {
        metric,
        at,
        error: `"${name}" did not finish within ${timeoutSeconds}s and was killed (with its process group)`,
      }
    const stderr = excerpt(done.stderr.trim().split(/\r?\n/).slice(-3).join(' '), 200)
    if (done.signal !== null)
      return {
        metric,
        at,
        error: `"${name}" was killed by ${done.signal}${stderr === '' ? '' : `: ${stderr}`}`,
      }
    if (done.code !== 0)
      return {
        metric,
        at,
        error: `"${name}" exited with code ${done.code ?? '?'}${stderr === '' ? '' : `: ${stderr}`}`,
      }
    const v = commandValue(done.stdout)
    return 'error' in v
      ? { metric, at, error: `"${name}": ${v.error}` }
      : { metric, at, value: v.value }
  }
}
