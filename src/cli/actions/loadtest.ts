/** `kanari loadtest`: runs the load, shows progress on stderr, prints the summary. */
import { UsageError } from '../../errors.js'
import {
  countResult,
  runLoad,
  urlProblem,
  type LoadProgress,
  type LoadSummary,
} from '../../local/load/index.js'
import { layoutTable } from '../../report/text-table.js'
import { printResult, type CliContext, type OutputFormat } from '../context.js'

export interface LoadtestOptions {
  rate: number
  duration: number
  concurrency: number
  method: string
  header: Record<string, string>
  body?: string
  timeout: number
  allowRemote?: boolean
  quiet?: boolean
  output: OutputFormat
}

export interface LoadtestReport extends LoadSummary {
  url: string
  method: string
  ratePerSecond: number
  durationSeconds: number
  concurrency: number
  /** Requests that got an answer (any status). */
  answered: number
  /** Stopped early by Ctrl-C. */
  interrupted: boolean
}

function ms(v: number): string {
  return Number.isFinite(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(1)}ms` : '-'
}

export async function loadtest(
  ctx: CliContext,
  url: string,
  options: LoadtestOptions,
): Promise<void> {
  const problem = urlProblem(url, options.allowRemote === true)
  if (problem !== undefined) throw new UsageError(problem)
  const stop = new AbortController()
  const interrupt = (): void => stop.abort()
  process.once('SIGINT', interrupt)
  const live: LoadProgress = { sent: 0, answered: 0, failed: 0 }
  const tty = (ctx.io.stderr as { isTTY?: boolean }).isTTY === true
  const started = Date.now()
  const progress = (): string => {
    const elapsed = Math.min(options.duration, (Date.now() - started) / 1000)
    return `${elapsed.toFixed(0)}s/${options.duration}s  sent ${live.sent}  answered ${live.answered}  failed ${live.failed}`
  }
  // A line a second on a terminal (redrawn in place), every 5 s elsewhere.
  let ticks = 0
  const timer = setInterval(() => {
    ticks++
    if (options.quiet === true) return
    if (tty) ctx.io.stderr.write(`\r\x1b[2K${progress()}`)
    else if (ticks % 5 === 0) ctx.io.stderr.write(`${progress()}\n`)
  }, 1000)
  let summary: LoadSummary
  try {
    summary = await runLoad({
      url,
      rps: options.rate,
      durationMs: options.duration * 1000,
      concurrencyCap: options.concurrency,
      method: options.method,
      headers: options.header,
      ...(options.body === undefined ? {} : { body: options.body }),
      requestTimeoutMs: options.timeout * 1000,
      signal: stop.signal,
      onResult: (r) => countResult(live, r),
    })
  } finally {
    clearInterval(timer)
    process.removeListener('SIGINT', interrupt)
    if (tty && options.quiet !== true) ctx.io.stderr.write('\r\x1b[2K')
  }
  const report: LoadtestReport = {
    url,
    method: options.method,
    ratePerSecond: options.rate,
    durationSeconds: options.duration,
    concurrency: options.concurrency,
    ...summary,
    answered: summary.sent - (summary.byStatus['0'] ?? 0),
    interrupted: stop.signal.aborted,
  }
  await printResult(ctx, options.output, report, () => renderReport(report))
  if (report.interrupted) ctx.exitCode = 130
  else if (report.sent > 0 && report.answered === 0) {
    const why = Object.entries(report.errors)
      .map(([k, n]) => `${n}× ${k}`)
      .join(', ')
    ctx.io.stderr.write(
      `error: no request got an answer from ${url} (${why})\n  → is anything listening there? check the URL and port\n`,
    )
    ctx.exitCode = 6
  }
}

function renderReport(r: LoadtestReport): string {
  const lines = [
    `${r.method} ${r.url}: ${r.sent} requests in ${r.seconds.toFixed(1)}s (${(r.sent / Math.max(r.seconds, 0.001)).toFixed(1)}/s asked ${r.ratePerSecond}/s), ${r.answered} answered, ${r.failed} failed (5xx or no answer), ${r.skipped} skipped (at the concurrency limit of ${r.concurrency})${r.interrupted ? ' — interrupted' : ''}`,
  ]
  const rows = Object.entries(r.byStatus)
    .filter(([status]) => status !== '0')
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, n]) => [status, String(n)])
  for (const [kind, n] of Object.entries(r.errors)) rows.push([`no answer: ${kind}`, String(n)])
  if (rows.length > 0) {
    const table = layoutTable(['STATUS', 'COUNT'], rows)
    lines.push('', table.header, ...table.rows.flat())
  }
  if (r.answered > 0)
    lines.push(
      '',
      `latency  p50 ${ms(r.latencyMs.p50)}  p90 ${ms(r.latencyMs.p90)}  p99 ${ms(r.latencyMs.p99)}  max ${ms(r.latencyMs.max)}  mean ${ms(r.latencyMs.mean)}`,
    )
  const backends = Object.entries(r.byBackend)
  if (backends.length > 0)
    lines.push(`backends ${backends.map(([b, n]) => `${b} ${n}`).join(', ')} (x-kanari-backend)`)
  return lines.join('\n') + '\n'
}
