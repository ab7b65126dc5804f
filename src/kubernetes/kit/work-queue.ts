/**
 * A keyed work queue, as controller-runtime's: a key queued many times runs once; a key is never
 * handled by two workers at once (one added while it runs runs again after); a failure retries
 * that key alone with jittered exponential backoff; a handler may ask to run again after a delay.
 */
import { jitteredBackoffMs } from './backoff.js'

export interface WorkResult {
  /** Run this key again after this many ms (the rollout's next tick). */
  requeueAfterMs?: number
}

export interface WorkQueueOptions {
  concurrency?: number
  retryBaseMs?: number
  retryMaxMs?: number
  /** Told about each failure (the key will be retried). */
  onError?: (key: string, err: unknown, retryInMs: number) => void
}

export class WorkQueue {
  /** Keys waiting, with the time they are due. */
  readonly #due = new Map<string, number>()
  readonly #running = new Set<string>()
  /** Keys added while running: they run again once done. */
  readonly #dirty = new Set<string>()
  readonly #failures = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined
  #stopped = true
  #active = 0
  readonly #idleWaiters: (() => void)[] = []
  /** Handled keys and failures since start (for /metrics and the benchmark). */
  processed = 0
  failed = 0

  constructor(
    private readonly handler: (key: string) => Promise<WorkResult | undefined>,
    private readonly options: WorkQueueOptions = {},
  ) {}

  get depth(): number {
    return this.#due.size
  }

  start(): void {
    this.#stopped = false
    this.#pump()
  }

  /** Stops taking keys; resolves once the handlers running now have returned. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    while (this.#active > 0) await new Promise<void>((r) => this.#idleWaiters.push(r))
  }

  /** Queues `key` to run after `delayMs` (sooner if it is already due earlier). */
  add(key: string, delayMs = 0): void {
    const at = Date.now() + Math.max(0, delayMs)
    if (this.#running.has(key) && delayMs === 0) {
      this.#dirty.add(key)
      return
    }
    const due = this.#due.get(key)
    if (due === undefined || at < due) this.#due.set(key, at)
    this.#pump()
  }

  /** Forgets a key (its object is gone). */
  forget(key: string): void {
    this.#due.delete(key)
    this.#dirty.delete(key)
    this.#failures.delete(key)
  }

  #pump(): void {
    if (this.#stopped) return
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    const concurrency = this.options.concurrency ?? 4
    const now = Date.now()
    let next = Infinity
    for (const [key, at] of this.#due) {
      if (this.#active >= concurrency) break
      if (this.#running.has(key)) continue
      if (at > now) {
        next = Math.min(next, at)
        continue
      }
      this.#due.delete(key)
      this.#run(key)
    }
    if (this.#active < concurrency && next !== Infinity)
      this.#timer = setTimeout(() => this.#pump(), Math.max(1, next - now))
  }

  #run(key: string): void {
    this.#active++
    this.#running.add(key)
    let again: number | undefined
    this.handler(key)
      .then((result) => {
        this.processed++
        this.#failures.delete(key)
        again = result?.requeueAfterMs
      })
      .catch((err: unknown) => {
        this.failed++
        const failures = (this.#failures.get(key) ?? 0) + 1
        this.#failures.set(key, failures)
        again = jitteredBackoffMs(
          failures,
          this.options.retryBaseMs ?? 200,
          this.options.retryMaxMs ?? 60_000,
        )
        this.options.onError?.(key, err, again)
      })
      .finally(() => {
        this.#active--
        this.#running.delete(key)
        if (this.#dirty.delete(key)) this.add(key)
        else if (again !== undefined) this.add(key, again)
        if (this.#active === 0) for (const w of this.#idleWaiters.splice(0)) w()
        this.#pump()
      })
  }
}
