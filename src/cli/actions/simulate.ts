/** `kanari simulate`: runs one Rollout of the files through the engine and prints its process. */
import { InputError, UsageError } from '../../errors.js'
import { parseRolloutSet, planFor } from '../../manifests/rollout-set.js'
import { renderProcessTable } from '../../report/process-table.js'
import { simulate as simulateRollout } from '../../simulate/simulate.js'
import { printResult, type CliContext, type OutputFormat } from '../context.js'
import { readManifestFiles } from '../manifest-files.js'

/** Exit code of a simulation that could judge nothing (documented with the other exit codes). */
export const NOT_JUDGED_EXIT_CODE = 8

export interface SimulateOptions {
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
  webhook: Record<string, number>
  scrapeInterval: number
  output: OutputFormat
}

export async function simulate(ctx: CliContext, options: SimulateOptions): Promise<void> {
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
  const hookNames = plan.webhooks.map((w) => w.name)
  for (const name of Object.keys(options.webhook))
    if (!hookNames.includes(name))
      throw new UsageError(
        `--webhook ${name}=…: rollout ${plan.name} has no webhook named "${name}"`,
        {
          hint:
            hookNames.length === 0 ? 'it has no webhooks' : `its webhooks: ${hookNames.join(', ')}`,
        },
      )
  const result = await simulateRollout(plan, {
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
    webhookAnswers: options.webhook,
    scrapeIntervalSeconds: options.scrapeInterval,
  })
  const { events: _events, status: _status, outcome, skippedMetrics, ...rest } = result
  // What could not be simulated comes first: it changes how every line after it reads.
  const summary = { outcome, skippedMetrics, ...rest }
  if (outcome === 'NotJudged') ctx.exitCode = NOT_JUDGED_EXIT_CODE
  await printResult(ctx, options.output, summary, () => {
    const lines: string[] = []
    if (skippedMetrics.length > 0)
      lines.push(
        `Not simulated:    ${skippedMetrics.join(', ')} (only traffic metrics — builtin, or Prometheus traffic — can be answered from synthetic traffic)`,
      )
    if (outcome === 'NotJudged')
      lines.push(
        'Not judged:       no metric was measured; this run says nothing about the canary’s health',
      )
    lines.push(renderProcessTable(result.steps))
    lines.push(`Outcome:          ${result.outcome} — ${result.reason}`)
    lines.push(`Decision after:   ${result.decisionSeconds}s (virtual)`)
    lines.push(
      `Requests:         ${result.totalRequests} total, ${result.canaryRequests} to the canary, ${result.failedRequests} failed because of it`,
    )
    if (result.mirroredRequests > 0)
      lines.push(
        `Mirrored:         ${result.mirroredRequests} copies to the canary (responses discarded)`,
      )
    if (result.webhooks.length > 0)
      lines.push(
        `Webhooks:         not called; answered ${result.webhooks.map((w) => `${w.name} (${w.type}) ${w.status} ×${w.calls}`).join(', ')}`,
      )
    return lines.join('\n') + '\n'
  })
}
