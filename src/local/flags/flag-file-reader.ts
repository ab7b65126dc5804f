/**
 * The daemon's side of the flag file worker: one read at a time per request id, the flags handed
 * over in batches as they arrive. A worker that dies fails the reads in flight and is started
 * again for the next one.
 */
import { Worker } from 'node:worker_threads'
import type { FlagMetadata } from '../../flags/index.js'
import type { FlagFileRead, ReadFlag } from './flag-file-read.js'

export interface ReaderRequest {
  id: number
  path: string
  lastHash: string | null
  /** The hash of the text whose flags are served: only flags changed since then are sent. */
  servedHash: string | null
}

export type ReaderReply = { id: number } & (
  | { metadata: FlagMetadata; order: string[] }
  | { flags: ReadFlag[] }
  | { done: FlagFileRead }
  | { error: string }
)

export interface ReadHandlers {
  /** The file's metadata and the order of all its keys, before its flags. */
  onMetadata(metadata: FlagMetadata, order: string[]): void
  /** A batch of the flags that changed since `servedHash` (all of them when unknown). */
  onFlags(flags: ReadFlag[]): void
}

interface Pending extends ReadHandlers {
  resolve(read: FlagFileRead): void
  reject(err: Error): void
}

export class FlagFileReader {
  #worker: Worker | undefined
  #nextId = 1
  readonly #pending = new Map<number, Pending>()

  /** Reads `path` in the worker (the result's `flags` is empty: they went to `onFlags`). */
  read(
    path: string,
    lastHash: string | null,
    servedHash: string | null,
    handlers: ReadHandlers,
  ): Promise<FlagFileRead> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { ...handlers, resolve, reject })
      this.#start().postMessage({ id, path, lastHash, servedHash } satisfies ReaderRequest)
    })
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker
    const ts = import.meta.url.endsWith('.ts')
    // From the sources (tests, tsx) the worker is TypeScript: it registers tsx's loader first.
    const url = new URL(`./flag-file-worker.${ts ? 'ts' : 'js'}`, import.meta.url)
    const worker = ts
      ? new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}) })`,
          { eval: true },
        )
      : new Worker(url)
    worker.unref()
    worker.on('message', (reply: ReaderReply) => this.#receive(reply))
    const fail = (err: Error) => {
      if (this.#worker !== worker) return
      this.#worker = undefined
      for (const p of this.#pending.values()) p.reject(err)
      this.#pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`the flag file reader stopped (exit code ${code})`)))
    this.#worker = worker
    return worker
  }

  #receive(reply: ReaderReply): void {
    const p = this.#pending.get(reply.id)
    if (p === undefined) return
    try {
      if ('metadata' in reply) p.onMetadata(reply.metadata, reply.order)
      else if ('flags' in reply) p.onFlags(reply.flags)
      else {
        this.#pending.delete(reply.id)
        if ('done' in reply) p.resolve(reply.done)
        else p.reject(new Error(`reading a flag file failed: ${reply.error}`))
      }
    } catch (err) {
      this.#pending.delete(reply.id)
      p.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  close(): void {
    const worker = this.#worker
    this.#worker = undefined
    for (const p of this.#pending.values()) p.reject(new Error('the flag service is closed'))
    this.#pending.clear()
    void worker?.terminate()
  }
}
