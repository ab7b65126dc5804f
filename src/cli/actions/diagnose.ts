/**
 * `kanari diagnose ROLLOUT`: fetches a revision's evidence report from the daemon and prints it; with
 * `--advisor` (or an advisor given by flags) asks the advisor here, in this process (so the key is
 * this shell's), and stores its answer beside the report; with `--suggest-patch` writes a suggested
 * fix to a new branch of `--repo`.
 */
import {
  advise,
  DEFAULT_ADVISOR_TIMEOUT_SECONDS,
  type AdvisorSettings,
} from '../../advisor/advise.js'
import { suggestPatch, type SuggestedPatch } from '../../advisor/suggest-patch.js'
import type { AdvisorRecord } from '../../diagnosis/advice.js'
import { renderReport } from '../../diagnosis/render.js'
import { InputError } from '../../errors.js'
import type { DiagnosisResponse } from '../../local/daemon/api/diagnosis-routes.js'
import { printResult, type CliContext } from '../context.js'
import { connectDaemon } from '../daemon-connection.js'
import type { CommonOptions } from '../options.js'

export interface DiagnoseOptions extends CommonOptions {
  revision?: number
  advisor?: boolean
  advisorUrl?: string
  advisorModel?: string
  advisorKeyEnv?: string
  advisorModelFile?: string
  advisorTimeout?: number
  suggestPatch?: boolean
  repo?: string
}

/** The advisor the flags name, else the rollout's own (from its spec), else none. */
function settingsFrom(
  options: DiagnoseOptions,
  spec: DiagnosisResponse['advisorSettings'],
): AdvisorSettings | undefined {
  const timeoutSeconds =
    options.advisorTimeout ?? spec?.timeoutSeconds ?? DEFAULT_ADVISOR_TIMEOUT_SECONDS
  if (options.advisorModelFile !== undefined)
    return { kind: 'local', modelFile: options.advisorModelFile, timeoutSeconds }
  if (options.advisorUrl !== undefined && options.advisorModel !== undefined)
    return {
      kind: 'openai',
      url: options.advisorUrl,
      model: options.advisorModel,
      ...(options.advisorKeyEnv === undefined ? {} : { apiKeyEnv: options.advisorKeyEnv }),
      timeoutSeconds,
    }
  if (spec === null) return undefined
  if (spec.kind === 'local' && spec.modelFile !== undefined)
    return { kind: 'local', modelFile: spec.modelFile, timeoutSeconds }
  if (spec.kind === 'openai' && spec.url !== undefined && spec.model !== undefined)
    return {
      kind: 'openai',
      url: spec.url,
      model: spec.model,
      ...(spec.apiKeyEnv === undefined ? {} : { apiKeyEnv: spec.apiKeyEnv }),
      ...(spec.apiKeyFile === undefined ? {} : { apiKeyFile: spec.apiKeyFile }),
      timeoutSeconds,
    }
  return undefined
}

function renderPatch(p: SuggestedPatch): string {
  if (p.status === 'unavailable')
    return `\nSuggested patch: none — ${p.reason}${p.files.length > 0 ? ` (files: ${p.files.join(', ')})` : ''}\n`
  return [
    '',
    `Suggested patch (not reviewed, not merged): branch ${p.branch} in ${p.repo}, commit ${p.commit.slice(0, 12)} on ${p.base.slice(0, 12)}`,
    `  ${p.summary}`,
    `  files: ${p.files.join(', ')}`,
    '  next:',
    ...p.next.map((l) => `    ${l}`),
    '',
  ].join('\n')
}

export async function diagnose(
  ctx: CliContext,
  name: string,
  options: DiagnoseOptions,
): Promise<void> {
  const client = await connectDaemon(ctx, options)
  const query = options.revision === undefined ? '' : `?revision=${options.revision}`
  const res = await client.get<DiagnosisResponse>(
    `/api/v1/rollouts/${encodeURIComponent(name)}/diagnosis${query}`,
  )
  const askAdvisor =
    options.advisor === true ||
    options.advisorUrl !== undefined ||
    options.advisorModelFile !== undefined
  const settings = settingsFrom(options, res.advisorSettings)
  if ((askAdvisor || options.suggestPatch === true) && settings === undefined)
    throw new InputError(`rollout ${name} names no advisor (spec.analysis.advisor)`, {
      hint: 'name one: --advisor-url URL --advisor-model NAME [--advisor-key-env VAR], or --advisor-model-file FILE.gguf',
    })
  let advisor: AdvisorRecord | null = res.advisor
  if (askAdvisor && settings !== undefined) {
    advisor = await advise(res.report, settings, {
      ...(options.advisorTimeout === undefined ? {} : { timeoutSeconds: options.advisorTimeout }),
    })
    if (res.stored)
      await client.put(`/api/v1/rollouts/${encodeURIComponent(name)}/diagnosis/advisor`, {
        revision: res.revision,
        record: advisor,
      })
  }
  let patch: SuggestedPatch | undefined
  if (options.suggestPatch === true && settings !== undefined) {
    patch = await suggestPatch({ report: res.report, repo: options.repo ?? '.', settings })
    // The patch was asked for and not written: say so in the exit code (the report still prints).
    if (patch.status === 'unavailable') ctx.exitCode = 6
  }
  const result = {
    rollout: res.rollout,
    revision: res.revision,
    stored: res.stored,
    report: res.report,
    advisor,
    ...(patch === undefined ? {} : { patch }),
  }
  await printResult(
    ctx,
    options.output,
    result,
    () => renderReport(res.report, { advisor }) + (patch === undefined ? '' : renderPatch(patch)),
  )
}
