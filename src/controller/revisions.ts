/**
 * Revision assignment, the same for every driver: a workload template identical to the current
 * revision's changes nothing, one identical to stable's is a revert to that revision (no steps), and
 * anything else is the next revision number.
 */

/**
 * What applying a rollout's spec did. `reverted`: the template is stable's, so the rollout goes back
 * to the stable revision (any canary dropped) instead of starting a new one.
 */
export const APPLY_RESULTS = [
  'created',
  'configured',
  'unchanged',
  'new revision',
  'reverted',
] as const
export type ApplyResult = (typeof APPLY_RESULTS)[number]

export interface KnownRevision {
  revision: number
  /** Hash of the revision's workload template. */
  hash: string
}

export interface RevisionHistory {
  /** The revision the rollout asks for now, or undefined for a rollout not seen before. */
  current: number | undefined
  stable: number | null
  revisions: KnownRevision[]
}

export function assignRevision(
  history: RevisionHistory,
  hash: string,
  specChanged: boolean,
): { revision: number; result: ApplyResult } {
  if (history.current === undefined) return { revision: 1, result: 'created' }
  const byNumber = (n: number | null): KnownRevision | undefined =>
    history.revisions.find((r) => r.revision === n)
  if (byNumber(history.current)?.hash === hash)
    return { revision: history.current, result: specChanged ? 'configured' : 'unchanged' }
  const stable = byNumber(history.stable)
  if (stable?.hash === hash) return { revision: stable.revision, result: 'reverted' }
  const highest = Math.max(0, history.current, ...history.revisions.map((r) => r.revision))
  return { revision: highest + 1, result: 'new revision' }
}
