/**
 * An OpenFeature provider for Node apps that evaluates Kanari's flags in-process: no request per
 * evaluation. Flags come from a Kanari daemon (fetched once, then kept in sync over its change
 * stream), from a flagd document, or from a flag file (reloaded when it changes). With a daemon,
 * `client.track(event, context, { flagKey, error, value })` reports the outcome with the variant the
 * user got, which is what a flag rollout's analysis compares.
 */
import { readFileSync, statSync } from 'node:fs'
import {
  ErrorCode,
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  type TrackingEventDetails,
} from '@openfeature/server-sdk'
import {
  canonicalJson,
  checkFlagDocument,
  FlagSet,
  type FlagDocument,
  type RequestedType,
  type Resolution,
} from '../flags/index.js'

export interface KanariProviderOptions {
  /** A Kanari daemon, e.g. http://127.0.0.1:7070 (its URL is in `<state-dir>/api.json`). */
  url?: string
  /** Or flags evaluated without a daemon: a flagd document, or the path of a flag file (JSON). */
  flags?: FlagDocument | string
  /** How often outcomes from `track` are sent to the daemon (default 500 ms). */
  reportIntervalMs?: number
  /** How long to wait before reconnecting a lost change stream (default 1000 ms). */
  reconnectMs?: number
}

interface Outcome {
  flag: string
  variant: string
  error: boolean
  latencyMs?: number
  at: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function parseDocument(value: unknown, where: string): FlagDocument {
  const checked = checkFlagDocument(value)
  if (checked.document === undefined)
    throw new Error(
      `${where}: ${checked.problems
        .filter((p) => p.severity === 'error')
        .map((p) => `${p.path}: ${p.message}`)
        .join('; ')}`,
    )
  return checked.document
}

export class KanariProvider implements Provider {
  readonly metadata = { name: 'kanari' } as const
  readonly runsOn = 'server'
  readonly events = new OpenFeatureEventEmitter()
  #set = new FlagSet({ flags: {} })
  #version = -1
  /** The daemon's configuration version last fetched: the stream announces anything newer. */
  #daemonVersion = 0
  #outcomes: Outcome[] = []
  #reporter: NodeJS.Timeout | undefined
  #poll: NodeJS.Timeout | undefined
  #fileStamp = ''
  #stream: AbortController | undefined
  #closed = false

  constructor(private readonly options: KanariProviderOptions) {
    if ((options.url === undefined) === (options.flags === undefined))
      throw new Error(
        'KanariProvider: give either `url` (a Kanari daemon) or `flags` (a document or a file path)',
      )
  }

  /** The flag set evaluated now. */
  get flagSet(): FlagSet {
    return this.#set
  }

  async initialize(): Promise<void> {
    const { url, flags } = this.options
    if (url !== undefined) {
      await this.#fetch(url)
      void this.#follow(url)
      this.#reporter = setInterval(
        () => void this.#report(url),
        this.options.reportIntervalMs ?? 500,
      )
      this.#reporter.unref()
    } else if (typeof flags === 'string') {
      this.#loadFile(flags)
      this.#poll = setInterval(() => {
        try {
          if (this.#stamp(flags) !== this.#fileStamp) this.#loadFile(flags)
        } catch (err) {
          // The last good flags keep serving.
          this.events.emit(ProviderEvents.Error, {
            message: err instanceof Error ? err.message : String(err),
          })
        }
      }, 250)
      this.#poll.unref()
    } else if (flags !== undefined) this.#replace(parseDocument(flags, 'flags'))
  }

  async onClose(): Promise<void> {
    this.#closed = true
    this.#stream?.abort()
    if (this.#reporter !== undefined) clearInterval(this.#reporter)
    if (this.#poll !== undefined) clearInterval(this.#poll)
    if (this.options.url !== undefined) await this.#report(this.options.url)
  }

  #stamp(path: string): string {
    const st = statSync(path)
    return `${st.mtimeMs}:${st.size}`
  }

  /** Reads the file; its stamp is taken first, so a write during the read is seen by the next poll. */
  #loadFile(path: string): void {
    this.#fileStamp = this.#stamp(path)
    const doc = parseDocument(JSON.parse(readFileSync(path, 'utf8')) as unknown, path)
    this.#replace(doc)
  }

  /** Serves `doc`; announces the flags whose definitions differ from those served before. */
  #replace(doc: FlagDocument): void {
    const first = this.#version === -1
    const before = this.#set.document.flags
    const keys = new Set([...Object.keys(before), ...Object.keys(doc.flags)])
    const changed = [...keys].filter(
      (k) => canonicalJson(before[k] ?? null) !== canonicalJson(doc.flags[k] ?? null),
    )
    this.#set = new FlagSet(doc)
    this.#version++
    if (!first && changed.length > 0)
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed })
  }

  async #fetch(url: string): Promise<void> {
    const res = await fetch(`${url}/api/v1/flag-document`)
    if (!res.ok)
      throw new Error(`KanariProvider: ${url} answered ${res.status} for the flag document`)
    const body = (await res.json()) as { document: unknown; version: number }
    this.#daemonVersion = body.version
    this.#replace(parseDocument(body.document, url))
  }

  /** Follows the daemon's change stream (Server-Sent Events), reconnecting when it drops. */
  async #follow(url: string): Promise<void> {
    while (!this.#closed) {
      this.#stream = new AbortController()
      try {
        const res = await fetch(`${url}/api/v1/flag-events?since=${this.#daemonVersion}`, {
          signal: this.#stream.signal,
        })
        if (res.body === null) throw new Error('no stream')
        const decoder = new TextDecoder()
        let buffer = ''
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true })
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const data = event
              .split('\n')
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).trim())
              .join('\n')
            if (data === '') continue
            const message = JSON.parse(data) as { type?: string }
            if (message.type === 'refetchEvaluation') await this.#fetch(url)
          }
        }
      } catch (err) {
        if (this.#isClosed()) return
        this.events.emit(ProviderEvents.Stale, {
          message: `the change stream of ${url} dropped: ${err instanceof Error ? err.message : String(err)}`,
        })
      }
      if (!this.#isClosed()) await sleep(this.options.reconnectMs ?? 1000)
      if (!this.#isClosed())
        try {
          await this.#fetch(url)
        } catch {
          // tried again after the next wait
        }
    }
  }

  /** Read through a method: the flag changes while a stream is awaited. */
  #isClosed(): boolean {
    return this.#closed
  }

  #details<T>(r: Resolution, defaultValue: T): ResolutionDetails<T> {
    const out: ResolutionDetails<T> = {
      value: r.value === undefined ? defaultValue : (r.value as T),
      reason: r.reason,
      flagMetadata: r.metadata,
    }
    if (r.variant !== undefined) out.variant = r.variant
    if (r.errorCode !== undefined) out.errorCode = ErrorCode[r.errorCode]
    if (r.errorMessage !== undefined) out.errorMessage = r.errorMessage
    return out
  }

  #resolve<T>(
    key: string,
    type: RequestedType,
    defaultValue: T,
    context: EvaluationContext,
  ): ResolutionDetails<T> {
    return this.#details(this.#set.resolve(key, type, context, Date.now()), defaultValue)
  }

  resolveBooleanEvaluation(
    key: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(this.#resolve(key, 'boolean', defaultValue, context))
  }

  resolveStringEvaluation(
    key: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return Promise.resolve(this.#resolve(key, 'string', defaultValue, context))
  }

  resolveNumberEvaluation(
    key: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.#resolve(key, 'number', defaultValue, context))
  }

  resolveObjectEvaluation<T extends JsonValue>(
    key: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return Promise.resolve(this.#resolve(key, 'object', defaultValue, context))
  }

  /**
   * Records an outcome for a flag rollout: `details.flagKey` names the flag (the variant is the one
   * this context gets), `details.error` marks a failure, `details.value` is the latency in ms.
   */
  track(eventName: string, context: EvaluationContext, details: TrackingEventDetails): void {
    const flag = details.flagKey
    if (this.options.url === undefined || typeof flag !== 'string') return
    const r = this.#set.evaluate(flag, context, Date.now())
    this.#outcomes.push({
      flag,
      variant: r.variant ?? 'default',
      error: details.error === true || eventName === 'error',
      ...(typeof details.value === 'number' ? { latencyMs: details.value } : {}),
      at: Date.now(),
    })
  }

  async #report(url: string): Promise<void> {
    if (this.#outcomes.length === 0) return
    const batch = this.#outcomes
    this.#outcomes = []
    try {
      await fetch(`${url}/api/v1/flag-outcomes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcomes: batch }),
      })
    } catch {
      // Outcomes are samples: a batch the daemon did not get is dropped, not retried forever.
    }
  }
}
