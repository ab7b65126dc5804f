/**
 * The clock a tick scheduler reads and sets its timers by. The system clock in production; a test
 * gives a manual one (test-utils/manual-clock.ts) and moves time on, so a ten-minute pause passes at
 * once and no test waits for one in real time.
 */

/** A timer that can be cancelled; cancelling twice is harmless. */
export interface ClockTimer {
  cancel(): void
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number
  /** Calls `fn` every `ms` milliseconds, the first time `ms` from now, until cancelled. */
  every(ms: number, fn: () => void): ClockTimer
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms)
    return { cancel: () => clearInterval(timer) }
  },
}
