/** Restarting crashed replicas with exponential backoff, and telling a crash loop from a single crash. */
import type { Replica } from './replica.js'

const CRASH_WINDOW_MS = 60_000
const CRASH_LOOP_EXITS = 3
const MAX_BACKOFF_MS = 30_000

/**
 * Counts a crash and schedules the restart: 1 s, 2 s, 4 s … up to 30 s; a replica that stayed up for
 * a minute starts again from 1 s.
 */
export function scheduleRestart(r: Replica, now: number): void {
  if (now - r.startedAt > CRASH_WINDOW_MS) r.consecutiveCrashes = 0
  r.consecutiveCrashes++
  r.exits = [...r.exits.filter((t) => now - t < CRASH_WINDOW_MS), now]
  r.restarts++
  r.state = 'backoff'
  r.restartAt = now + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (r.consecutiveCrashes - 1))
}

/** Exits within the last minute. */
export function crashesInWindow(r: Replica, now: number): number {
  return r.exits.filter((t) => now - t < CRASH_WINDOW_MS).length
}

export function isCrashLooping(r: Replica, now: number): boolean {
  return (
    crashesInWindow(r, now) >= CRASH_LOOP_EXITS ||
    (r.state === 'backoff' && r.restarts >= CRASH_LOOP_EXITS)
  )
}
