/**
 * `kanari simulate -f rollout.yaml`: the real engine and judges against synthetic traffic in virtual
 * time — what a release would do if the new version behaved like this.
 */
import type { Command } from 'commander'
import { InputError } from '../../errors.js'
import { parseRolloutSet, planFor } from '../../manifests/rollout-set.js'
import { renderProcessTable } from '../../report/process-table.js'
import { simulate } from '../../simulate/simulate.js'
import { parseOutputFormat, printResult, type CliContext, type OutputFormat } from '../context.js'
import { filenameOption, readManifestFiles } from '../manifest-files.js'

function num(name: string, min: number, max = Number.POSITIVE_INFINITY) {
  return (v: string): number => {
    const n = Number(v)
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InputError(
        `--${name} must be a number from ${min}${max === Number.POSITIVE_INFINITY ? '' : ` to ${max}`} (got "${v}")`,
      )
    return n
  }
}

interface SimulateOptions {
  filename: string[]
  rollout?: string
  rps: number
  stableErrorRate: number
  canaryErrorRate: number
  stableLatencyMs: number
  canaryLatencyMs?: number
  failAtWeight?: number
  matchRate: number
  seed: number
  promoteAfter: number
  readySeconds: number
  maxSeconds: number
  output: OutputFormat
}

export function registerSimulateCommand(program: Command, ctx: CliContext): void {
  filenameOption(
    program
      .command('simulate')
      .description(
        'run a rollout through the real engine and judges against synthetic traffic, in virtual time',
      ),
    'the Rollout (and any AnalysisTemplates it uses)',
  )
    .option('--rollout <name>', 'which Rollout, when the file has several')
    .option('--rps <n>', 'user requests per second', num('rps', 1, 1_000_000), 100)
    .option(
      '--stable-error-rate <percent>',
      'percent of requests the stable version fails',
      num('stable-error-rate', 0, 100),
      0.5,
    )
    .option(
      '--canary-error-rate <percent>',
      'percent of requests the canary fails (15 = 15%)',
      num('canary-error-rate', 0, 100),
      0.5,
    )
    .option('--stable-latency-ms <ms>', 'median latency of stable', num('stable-latency-ms', 0), 50)
    .option(
      '--canary-latency-ms <ms>',
      'median latency of the canary (default: same as stable)',
      num('canary-latency-ms', 0),
    )
    .option(
      '--fail-at-weight <percent>',
      'the canary behaves like stable until its weight reaches this, then as given',
      num('fail-at-weight', 0, 100),
    )
    .option(
      '--match-rate <percent>',
      'percent of user requests that match the canary header/cookie routes (A/B testing)',
      num('match-rate', 0, 100),
      10,
    )
    .option('--seed <n>', 'random seed; the same seed gives the same run', num('seed', 0), 1)
    .option(
      '--promote-after <seconds>',
      'an indefinite pause counts as promoted after this many virtual seconds',
      num('promote-after', 0),
      60,
    )
    .option(
      '--ready-seconds <seconds>',
      'virtual seconds a replica takes to become ready',
      num('ready-seconds', 0),
      2,
    )
    .option(
      '--max-seconds <seconds>',
      'stop after this much virtual time',
      num('max-seconds', 1),
      6 * 3600,
    )
    .option(
      '-o, --output <format>',
      'table, json or yaml',
      parseOutputFormat,
      'table' as OutputFormat,
    )
    .action(async (options: SimulateOptions) => {
      const files = readManifestFiles(options.filename)
      const where = files.map((f) => f.name).join(', ')
      const set = parseRolloutSet(files)
      const chosen =
        options.rollout === undefined
          ? set.rollouts
          : set.rollouts.filter((r) => r.doc.metadata.name === options.rollout)
      if (chosen.length !== 1 || chosen[0] === undefined) {
        const names = set.rollouts.map((r) => r.doc.metadata.name)
        throw new InputError(
          chosen.length === 0
            ? `no Rollout${options.rollout === undefined ? '' : ` named ${options.rollout}`} in ${where}`
            : `${where} has ${chosen.length} Rollouts (${names.join(', ')})`,
          {
            hint:
              names.length > 1
                ? 'pick one with --rollout NAME'
                : 'the file needs a `kind: Rollout` document',
          },
        )
      }
      const plan = planFor(chosen[0].doc, set.templates, 2)
      const result = await simulate(plan, {
        rps: options.rps,
        stable: { errorRatePercent: options.stableErrorRate, latencyMs: options.stableLatencyMs },
        canary: {
          errorRatePercent: options.canaryErrorRate,
          latencyMs: options.canaryLatencyMs ?? options.stableLatencyMs,
        },
        ...(options.failAtWeight === undefined ? {} : { failAtWeight: options.failAtWeight }),
        matchRatePercent: options.matchRate,
        seed: options.seed,
        promoteAfterSeconds: options.promoteAfter,
        readySeconds: options.readySeconds,
        maxSeconds: options.maxSeconds,
      })
      const { events: _events, status: _status, ...summary } = result
      printResult(ctx, options.output, summary, () => {
        const lines = [renderProcessTable(result.steps, { detailWidth: 110 })]
        lines.push(`Outcome:          ${result.outcome} — ${result.reason}`)
        lines.push(`Decision after:   ${result.decisionSeconds}s (virtual)`)
        lines.push(
          `Requests:         ${result.totalRequests} total, ${result.canaryRequests} to the canary, ${result.failedRequests} failed because of it`,
        )
        if (result.mirroredRequests > 0)
          lines.push(
            `Mirrored:         ${result.mirroredRequests} copies to the canary (responses discarded)`,
          )
        if (result.skippedMetrics.length > 0)
          lines.push(
            `Not simulated:    ${result.skippedMetrics.join(', ')} (only builtin metrics can be answered from synthetic traffic)`,
          )
        return lines.join('\n') + '\n'
      })
    })
}
