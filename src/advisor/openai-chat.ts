/**
 * A JSON answer from any OpenAI-compatible chat-completions endpoint (hosted, Ollama, vLLM, llama.cpp):
 * first with the OpenAI `json_schema` response format; if the server refuses that form (llama-cpp-
 * python answers 500 "Input should be 'text' or 'json_object'"), again with `json_object` and the
 * schema. Plain `fetch`; one deadline for both tries; the API key is sent, never shown.
 */
import type { ChatMessage } from '../diagnosis/advice.js'

export interface OpenAIEndpoint {
  /** Base URL up to the version, e.g. http://127.0.0.1:8080/v1. */
  url: string
  model: string
  /** The key, read when the call is made; undefined sends no Authorization header. */
  apiKey?: string
  maxTokens?: number
}

export interface ChatAnswer {
  content: string
  responseFormat: 'json_schema' | 'json_object'
  /** The model the server says answered. */
  model: string
}

/** A failure of the endpoint or of its answer, in words that never hold the key. */
export class AdvisorCallError extends Error {}

/** Statuses after which the same request in the other dialect can succeed. */
function refusesFormat(status: number): boolean {
  return status === 400 || status === 404 || status === 415 || status === 422 || status >= 500
}

function hide(text: string, key: string | undefined): string {
  return key === undefined || key === '' ? text : text.split(key).join('[REDACTED]')
}

interface Completion {
  model?: unknown
  choices?: {
    message?: { content?: unknown; refusal?: unknown }
    finish_reason?: unknown
  }[]
}

async function post(
  endpoint: OpenAIEndpoint,
  body: unknown,
  signal: AbortSignal,
): Promise<{ status: number; text: string }> {
  const url = `${endpoint.url.replace(/\/+$/, '')}/chat/completions`
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(endpoint.apiKey === undefined || endpoint.apiKey === ''
          ? {}
          : { authorization: `Bearer ${endpoint.apiKey}` }),
      },
      body: JSON.stringify(body),
      signal,
    })
    return { status: res.status, text: await res.text() }
  } catch (err) {
    if (signal.aborted) throw new AdvisorCallError(`no answer from ${url} in time`)
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    throw new AdvisorCallError(
      `cannot reach ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    )
  }
}

export async function chatJson(
  endpoint: OpenAIEndpoint,
  messages: ChatMessage[],
  schema: object,
  signal: AbortSignal,
): Promise<ChatAnswer> {
  const base = {
    model: endpoint.model,
    messages,
    temperature: 0,
    max_tokens: endpoint.maxTokens ?? 1024,
  }
  const forms: [ChatAnswer['responseFormat'], unknown][] = [
    [
      'json_schema',
      { type: 'json_schema', json_schema: { name: 'kanari_advice', strict: true, schema } },
    ],
    ['json_object', { type: 'json_object', schema }],
  ]
  let refusal = ''
  for (const [form, responseFormat] of forms) {
    const { status, text } = await post(
      endpoint,
      { ...base, response_format: responseFormat },
      signal,
    )
    if (status < 200 || status > 299) {
      const detail = hide(text.slice(0, 300).replace(/\s+/g, ' '), endpoint.apiKey)
      if (form === 'json_schema' && refusesFormat(status)) {
        refusal = `HTTP ${status} for json_schema (${detail})`
        continue
      }
      throw new AdvisorCallError(
        `${refusal === '' ? '' : `${refusal}; then `}HTTP ${status} for ${form}: ${detail}`,
      )
    }
    let completion: Completion
    try {
      completion = JSON.parse(text) as Completion
    } catch {
      throw new AdvisorCallError(
        `the endpoint answered HTTP ${status} with a body that is not JSON`,
      )
    }
    const choice = completion.choices?.[0]
    const message = choice?.message
    if (typeof message?.refusal === 'string' && message.refusal !== '')
      throw new AdvisorCallError(`the model refused: ${message.refusal.slice(0, 200)}`)
    if (typeof message?.content !== 'string')
      throw new AdvisorCallError('the answer has no choices[0].message.content')
    if (choice?.finish_reason === 'length')
      throw new AdvisorCallError(
        'the answer was cut at the token limit (finish_reason "length"), so its JSON is incomplete',
      )
    return {
      content: message.content,
      responseFormat: form,
      model: typeof completion.model === 'string' ? completion.model : endpoint.model,
    }
  }
  throw new AdvisorCallError(refusal)
}
