/**
 * A clock that moves only when told: `advance` fires every timer that falls due, in order, each with
 * the clock showing its due time. Nothing waits in real time.
 */
import type { Clock, ClockTimer } from '../clock.js'

interface Scheduled {
  due: number
  intervalMs: number
  fn: () => void
}

export class ManualClock implements Clock {
  #now: number
  readonly #timers = new Set<Scheduled>()

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  every(ms: number, fn: () => void): ClockTimer {
    if (!(ms > 0)) throw new Error(`a timer needs a period above 0 ms, not ${ms}`)
    const timer: Scheduled = { due: this.#now + ms, intervalMs: ms, fn }
    this.#timers.add(timer)
    return { cancel: () => this.#timers.delete(timer) }
  }

  /** Timers still set. */
  get timers(): number {
    return this.#timers.size
  }

  /** Moves time on by `ms`, firing each timer as its time comes (a timer set while firing too). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`time only moves forward, not by ${ms} ms`)
    const until = this.#now + ms
    for (;;) {
      let next: Scheduled | undefined
      for (const t of this.#timers)
        if (t.due <= until && (next === undefined || t.due < next.due)) next = t
      if (next === undefined) break
      this.#now = next.due
      next.due += next.intervalMs
      next.fn()
    }
    this.#now = until
  }
}
