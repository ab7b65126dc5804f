/**
 * FakeOpenAIServer: a FAKE language model for tests — a real HTTP server on 127.0.0.1 that speaks the
 * OpenAI chat-completions wire format (`POST /v1/chat/completions`, `GET /v1/models`) and replays
 * canned answers, including the failure modes measured with real small models (docs/diagnosis.md):
 * JSON cut at the token limit, a missing field, confidence 2, invented evidence, a wrong verdict,
 * HTTP 500 for the `json_schema` form, refusals, slow answers that time out. It records every
 * request, so tests check what Kanari sends. It is not a model and proves nothing about one.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type FakeReply =
  /** HTTP 200 with this message content; `finishReason` "length" says it was cut. */
  | { kind: 'answer'; content: string; finishReason?: 'stop' | 'length' }
  /** HTTP 200 with the OpenAI refusal field set and no content. */
  | { kind: 'refusal'; refusal: string }
  | { kind: 'http-error'; status: number; body: string }
  /** HTTP 200 with a body that is not JSON. */
  | { kind: 'not-json'; body: string }
  /** Answers after `delayMs` (a timeout test sets it past the deadline). */
  | { kind: 'slow'; delayMs: number; then: FakeReply }
  /** llama-cpp-python's dialect: HTTP 500 for `json_schema`, `then` for anything else. */
  | { kind: 'json-object-only'; then: FakeReply }

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: {
    model?: string
    messages?: { role: string; content: string }[]
    response_format?: { type: string; json_schema?: { schema?: unknown }; schema?: unknown }
    temperature?: number
    max_tokens?: number
  } | null
}

/** A valid answer's JSON text, with fields overridden (or removed with `undefined`). */
export function adviceJson(fields: Record<string, unknown> = {}): string {
  const answer = new Map<string, unknown>(
    Object.entries({
      verdict: 'rollback',
      confidence: 0.8,
      explanation: 'The canary fails a share of requests that stable does not.',
      suspected_cause: 'the changed environment of the new revision',
      suggested_fix: 'revert the change and release again',
      evidence: ['L1'],
      ...fields,
    }),
  )
  for (const [k, v] of answer) if (v === undefined) answer.delete(k)
  return JSON.stringify(Object.fromEntries(answer))
}

export class FakeOpenAIServer {
  readonly requests: RecordedRequest[] = []
  #replies: (req: RecordedRequest) => FakeReply
  readonly #open = new Set<ServerResponse>()

  private constructor(
    private readonly server: Server,
    replies: (req: RecordedRequest) => FakeReply,
  ) {
    this.#replies = replies
  }

  /** Starts on a free port of 127.0.0.1; `replies` picks the reply to each chat request. */
  static async start(
    replies: FakeReply | ((req: RecordedRequest) => FakeReply),
  ): Promise<FakeOpenAIServer> {
    const pick = typeof replies === 'function' ? replies : () => replies
    const handlers: ((req: IncomingMessage, res: ServerResponse) => void)[] = []
    const server = createServer((req, res) => handlers[0]?.(req, res))
    const fake = new FakeOpenAIServer(server, pick)
    handlers.push((req, res) => void fake.handle(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return fake
  }

  /** The base URL clients are given, e.g. http://127.0.0.1:43210/v1. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`
  }

  /** Changes the replies for the requests still to come. */
  reply(replies: FakeReply | ((req: RecordedRequest) => FakeReply)): void {
    this.#replies = typeof replies === 'function' ? replies : () => replies
  }

  /** Chat requests received so far. */
  get chats(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/chat/completions'))
  }

  async close(): Promise<void> {
    for (const res of this.#open) res.destroy()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c)
    const text = Buffer.concat(chunks).toString('utf8')
    let body: RecordedRequest['body']
    try {
      body = text === '' ? null : (JSON.parse(text) as RecordedRequest['body'])
    } catch {
      body = null
    }
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
    }
    this.requests.push(recorded)
    const send = (status: number, payload: unknown, raw = false): void => {
      if (res.destroyed) return
      const out = raw ? String(payload) : JSON.stringify(payload)
      res.writeHead(status, { 'content-type': raw ? 'text/plain' : 'application/json' })
      res.end(out)
    }
    if (req.method === 'GET' && req.url === '/v1/models')
      return send(200, {
        object: 'list',
        data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'FakeOpenAIServer' }],
      })
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions')
      return send(404, {
        error: {
          message: `no route ${req.method ?? ''} ${req.url ?? ''}`,
          type: 'invalid_request_error',
        },
      })
    this.#open.add(res)
    res.on('close', () => this.#open.delete(res))
    await this.answer(this.#replies(recorded), recorded, send)
  }

  private async answer(
    reply: FakeReply,
    req: RecordedRequest,
    send: (status: number, payload: unknown, raw?: boolean) => void,
  ): Promise<void> {
    switch (reply.kind) {
      case 'slow':
        await new Promise((r) => setTimeout(r, reply.delayMs))
        return this.answer(reply.then, req, send)
      case 'json-object-only':
        if (req.body?.response_format?.type === 'json_schema')
          return send(500, {
            error: {
              message:
                "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\"}]",
              type: 'internal_server_error',
            },
          })
        return this.answer(reply.then, req, send)
      case 'http-error':
        return send(reply.status, reply.body, true)
      case 'not-json':
        return send(200, reply.body, true)
      case 'refusal':
      case 'answer': {
        const content = reply.kind === 'answer' ? reply.content : null
        return send(200, {
          id: `chatcmpl-fake-${this.requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: req.body?.model ?? 'fake-model',
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content,
                refusal: reply.kind === 'refusal' ? reply.refusal : null,
              },
              logprobs: null,
              finish_reason: reply.kind === 'answer' ? (reply.finishReason ?? 'stop') : 'stop',
            },
          ],
          usage: {
            prompt_tokens: Math.ceil(JSON.stringify(req.body?.messages ?? []).length / 4),
            completion_tokens: Math.ceil((content ?? '').length / 4),
            total_tokens: 0,
          },
        })
      }
    }
  }
}
