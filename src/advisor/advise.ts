/**
 * Asks an advisor about an evidence report and records what it said: the prompt (the report fenced
 * as untrusted data), the call (an OpenAI-compatible endpoint or a local GGUF model) under one
 * deadline, and the answer checked against the report. It never throws: a timeout, a refusal, an
 * HTTP error or an answer that fails the checks is recorded as "unavailable", and whoever asked goes
 * on by the statistics.
 */
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import {
  ADVICE_SCHEMA,
  advicePrompt,
  checkAdvice,
  type AdvisorRecord,
} from '../diagnosis/advice.js'
import { Redactor } from '../diagnosis/redact.js'
import { promptText } from '../diagnosis/render.js'
import type { DiagnosisReport } from '../diagnosis/report.js'
import { localJson } from './local-gguf.js'
import { chatJson } from './openai-chat.js'

export const DEFAULT_ADVISOR_TIMEOUT_SECONDS = 60

/** Where the advisor is and how long it may take; keys are read when a call is made, never stored. */
export type AdvisorSettings =
  | {
      kind: 'openai'
      url: string
      model: string
      apiKeyEnv?: string
      apiKeyFile?: string
      timeoutSeconds: number
    }
  | { kind: 'local'; modelFile: string; timeoutSeconds: number }

/** `spec.analysis.advisor` as written, with paths resolved against the directory it came from. */
export interface AdvisorSpecLike {
  url?: string
  model?: string
  apiKeyEnv?: string
  apiKeyFile?: string
  modelFile?: string
  timeoutSeconds?: number
}

export function advisorSettings(
  spec: AdvisorSpecLike,
  baseDir: string,
): AdvisorSettings | undefined {
  const timeoutSeconds = spec.timeoutSeconds ?? DEFAULT_ADVISOR_TIMEOUT_SECONDS
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p))
  if (spec.modelFile !== undefined)
    return { kind: 'local', modelFile: path(spec.modelFile), timeoutSeconds }
  if (spec.url === undefined || spec.model === undefined) return undefined
  return {
    kind: 'openai',
    url: spec.url,
    model: spec.model,
    ...(spec.apiKeyEnv === undefined ? {} : { apiKeyEnv: spec.apiKeyEnv }),
    ...(spec.apiKeyFile === undefined ? {} : { apiKeyFile: path(spec.apiKeyFile) }),
    timeoutSeconds,
  }
}

/** The API key, from the environment variable or the file named; an error says which is missing. */
function apiKey(
  s: Extract<AdvisorSettings, { kind: 'openai' }>,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (s.apiKeyEnv !== undefined) {
    const key = env[s.apiKeyEnv]
    if (key === undefined || key === '')
      throw new Error(
        `the API key variable ${s.apiKeyEnv} is not set in the environment of the process asking`,
      )
    return key
  }
  if (s.apiKeyFile !== undefined) {
    try {
      return readFileSync(s.apiKeyFile, 'utf8').trim()
    } catch (err) {
      throw new Error(
        `cannot read the API key file ${s.apiKeyFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: err },
      )
    }
  }
  return undefined
}

export interface AdviseOptions {
  /** Cuts the deadline shorter than the settings' timeout (e.g. a promotion review's). */
  timeoutSeconds?: number
  env?: NodeJS.ProcessEnv
}

export async function advise(
  report: DiagnosisReport,
  settings: AdvisorSettings,
  options: AdviseOptions = {},
): Promise<AdvisorRecord> {
  const started = performance.now()
  const timeoutSeconds = Math.min(settings.timeoutSeconds, options.timeoutSeconds ?? Infinity)
  const signal = AbortSignal.timeout(Math.max(1, timeoutSeconds * 1000))
  const via = settings.kind
  const model = settings.kind === 'openai' ? settings.model : settings.modelFile
  const elapsed = (): number => Math.round(performance.now() - started)
  let key: string | undefined
  try {
    const messages = advicePrompt(promptText(report))
    let answer: {
      content: string
      responseFormat: 'json_schema' | 'json_object' | 'grammar'
      model: string
    }
    if (settings.kind === 'openai') {
      key = apiKey(settings, options.env ?? process.env)
      answer = await chatJson(
        { url: settings.url, model: settings.model, ...(key === undefined ? {} : { apiKey: key }) },
        messages,
        ADVICE_SCHEMA,
        signal,
      )
    } else {
      answer = await Promise.race([
        localJson(settings.modelFile, messages, ADVICE_SCHEMA, signal),
        new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () =>
            reject(new Error(`no answer from the local model in ${timeoutSeconds}s`)),
          ),
        ),
      ])
    }
    const checked = checkAdvice(answer.content, report)
    if (!checked.ok)
      return {
        status: 'unavailable',
        via,
        model: answer.model,
        reason: checked.reason,
        elapsedMs: elapsed(),
      }
    return {
      status: 'answered',
      via,
      model: answer.model,
      responseFormat: answer.responseFormat,
      elapsedMs: elapsed(),
      advice: checked.advice,
    }
  } catch (err) {
    const text = signal.aborted
      ? `no answer within ${timeoutSeconds}s`
      : err instanceof Error
        ? err.message
        : String(err)
    // The key never leaves in a reason, nor anything shaped like one.
    const reason = new Redactor(key === undefined ? [] : [key]).text(text)
    return { status: 'unavailable', via, model, reason, elapsedMs: elapsed() }
  }
}
