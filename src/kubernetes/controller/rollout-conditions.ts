/**
 * A Rollout's conditions, derived from the engine's status: what `kubectl wait --for=condition=…`
 * waits on. `Promoted` is True only when the revision the spec asks for is the stable one and the
 * rollout is healthy, so `kubectl wait --for=condition=Promoted rollout/x` after a change returns
 * when that change has been promoted (or times out if it was rolled back) — and only once the route
 * sends stable's share to the primary: a condition follows the route, never leads it.
 */
import { isFrozen, isInFlight, type RolloutStatus } from '../../engine/status.js'
import type { ConditionInput } from '../kit/conditions.js'

export function rolloutConditions(
  s: RolloutStatus,
  specProblems: readonly string[],
  /**
   * The routing object sends stable's share to the primary and the primary runs the stable
   * revision (undefined: not known to this controller).
   */
  stableOnPrimary?: boolean,
): ConditionInput[] {
  const inFlight = isInFlight(s.phase)
  const valid = specProblems.length === 0
  const stableIsTarget =
    s.phase === 'Healthy' && s.stableRevision !== null && s.stableRevision === s.revision
  const handingOver = stableIsTarget && stableOnPrimary === false
  const promoted = stableIsTarget && !handingOver
  const frozen = isFrozen(s)
  const tf = (b: boolean): 'True' | 'False' => (b ? 'True' : 'False')
  return [
    {
      type: 'SpecValid',
      status: tf(valid),
      reason: valid ? 'Valid' : 'InvalidSpec',
      message: valid ? 'the spec passed validation' : specProblems.join('; ').slice(0, 4000),
    },
    {
      type: 'Available',
      status: tf(s.stableRevision !== null && s.phase !== 'Initializing'),
      reason: s.stableRevision === null ? 'NoStableRevision' : s.phase,
      message:
        s.stableRevision === null
          ? s.message
          : `stable revision ${s.stableRevision} serves ${100 - s.traffic.canaryWeight}% of traffic`,
    },
    {
      type: 'Progressing',
      status: tf(inFlight || s.phase === 'Initializing'),
      reason: frozen ? 'Frozen' : s.phase,
      message: s.message,
    },
    {
      // A failed analysis holds the release where it stands until a person aborts, promotes or retries.
      type: 'Frozen',
      status: tf(frozen),
      reason: frozen ? 'AnalysisFailed' : 'NotFrozen',
      message: frozen ? s.message : 'not frozen',
    },
    {
      type: 'Paused',
      status: tf(s.phase === 'Paused'),
      reason: s.pause?.reason ?? 'NotPaused',
      message: s.phase === 'Paused' ? s.message : 'not paused',
    },
    {
      type: 'Promoted',
      status: tf(promoted),
      reason: promoted
        ? s.lastOutcome?.result === 'Promoted' && s.lastOutcome.revision === s.stableRevision
          ? 'Promoted'
          : 'Deployed'
        : handingOver
          ? 'HandingOver'
          : s.phase,
      message: promoted
        ? `revision ${s.stableRevision ?? '?'} is stable`
        : handingOver
          ? `revision ${s.stableRevision ?? '?'} is stable; its traffic moves to the primary once the primary serves it`
          : s.message,
    },
    {
      type: 'RolledBack',
      status: tf(s.phase === 'RolledBack'),
      reason: s.phase === 'RolledBack' ? (s.abort?.cause ?? 'RolledBack') : 'NotRolledBack',
      message: s.phase === 'RolledBack' ? s.message : 'not rolled back',
    },
  ]
}

/** "3/5" for the printer column: the step being run, of how many (empty when none). */
export function stepText(s: RolloutStatus, steps: number): string {
  if (steps === 0 || s.canaryRevision === null) return ''
  return `${Math.min(s.currentStepIndex + 1, steps)}/${steps}`
}
