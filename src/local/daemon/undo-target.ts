/**
 * Which revision `kanari undo` rolls out again: by default the newest one that was promoted and
 * healthy, never one that was rolled back; a rolled-back revision only when asked for by number and forced.
 */
import type { EngineEvent } from '../../engine/events.js'

/** How a revision's last release ended, read from the typed events. */
export type RevisionOutcome =
  | { revision: number; outcome: 'healthy' }
  | { revision: number; outcome: 'rolledBack'; explanation: string }
  | { revision: number; outcome: 'never-stable' }

type OutcomeEvent = Pick<EngineEvent, 'revision'> &
  (
    | { reason: 'Initialized' | 'Promoted' }
    | { reason: 'RolledBack'; explanation: string }
    | { reason: Exclude<EngineEvent['reason'], 'Initialized' | 'Promoted' | 'RolledBack'> }
  )

/**
 * Each stored revision's outcome, the latest event deciding (a retried revision that was then
 * promoted counts as healthy). `stableRevision` is serving as stable, so healthy whatever the
 * events still kept say.
 */
export function revisionOutcomes(
  revisions: readonly number[],
  events: readonly OutcomeEvent[],
  stableRevision: number | null,
): RevisionOutcome[] {
  const last = new Map<number, RevisionOutcome>()
  for (const e of events) {
    if (e.reason === 'Initialized' || e.reason === 'Promoted')
      last.set(e.revision, { revision: e.revision, outcome: 'healthy' })
    else if (e.reason === 'RolledBack')
      last.set(e.revision, {
        revision: e.revision,
        outcome: 'rolledBack',
        explanation: e.explanation,
      })
  }
  return [...revisions]
    .sort((a, b) => a - b)
    .map((revision) =>
      revision === stableRevision
        ? { revision, outcome: 'healthy' }
        : (last.get(revision) ?? { revision, outcome: 'never-stable' }),
    )
}

/** The default target: the newest healthy revision other than the current one, if any. */
export function defaultUndoRevision(
  outcomes: readonly RevisionOutcome[],
  current: number,
): number | undefined {
  return outcomes
    .filter((o) => o.outcome === 'healthy' && o.revision !== current)
    .map((o) => o.revision)
    .sort((a, b) => b - a)[0]
}

/** Why `undo` cannot go to the revision asked for (or to any), as data; the caller words the error. */
export type UndoRefusal =
  | { problem: 'unknown-revision'; revision: number; known: number[] }
  | { problem: 'no-healthy-revision'; rolledBack: number[] }
  | { problem: 'rolled-back'; revision: number; explanation: string }

/** Picks the revision `undo` rolls out again, or says why it will not. */
export function chooseUndoTarget(
  outcomes: readonly RevisionOutcome[],
  current: number,
  requested: number | undefined,
  force: boolean,
): { revision: number } | UndoRefusal {
  if (requested === undefined) {
    const revision = defaultUndoRevision(outcomes, current)
    if (revision !== undefined) return { revision }
    return {
      problem: 'no-healthy-revision',
      rolledBack: outcomes.filter((o) => o.outcome === 'rolledBack').map((o) => o.revision),
    }
  }
  const asked = outcomes.find((o) => o.revision === requested)
  if (asked === undefined)
    return {
      problem: 'unknown-revision',
      revision: requested,
      known: outcomes.map((o) => o.revision),
    }
  if (asked.outcome === 'rolledBack' && !force)
    return { problem: 'rolled-back', revision: requested, explanation: asked.explanation }
  return { revision: requested }
}
