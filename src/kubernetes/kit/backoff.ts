/** Jittered exponential backoff, shared by the informers' restarts and the work queue's retries. */

/**
 * The delay before attempt `failures` (1, 2, …): base·2^(failures-1), capped, then spread by ±50%
 * so that many clients failing together do not retry together.
 */
export function jitteredBackoffMs(failures: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, failures - 1)))
  return exp * (0.5 + Math.random())
}
