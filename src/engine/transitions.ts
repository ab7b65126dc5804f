/**
 * The rollout phase machine as data: which event moves which phase where. The engine and the command
 * handlers consult this table; a transition missing from it is refused, never improvised.
 */
import { IN_FLIGHT_PHASES, PHASES, type Phase } from './status.js'

export type RolloutEvent =
  | 'NewRevision'
  | 'FirstRevision'
  | 'Reverted'
  | 'Ready'
  | 'PauseStep'
  | 'UserPause'
  | 'Resume'
  | 'Promote'
  | 'PromoteFull'
  | 'StepsCompleted'
  | 'AnalysisInconclusive'
  | 'AdvisorDisagreed'
  | 'Abort'
  | 'PromotionCompleted'
  | 'Retry'
  | 'WaitForGate'
  | 'GateOpened'
  | 'Freeze'
  | 'RetryAnalysis'

/** [event, from-phases, to-phase] */
const table: [RolloutEvent, readonly Phase[], Phase][] = [
  ['FirstRevision', PHASES, 'Initializing'],
  ['NewRevision', PHASES, 'Progressing'],
  ['Reverted', PHASES, 'Healthy'],
  ['Ready', ['Initializing'], 'Healthy'],
  ['PauseStep', ['Progressing'], 'Paused'],
  ['UserPause', ['Progressing', 'Promoting'], 'Paused'],
  ['AnalysisInconclusive', ['Progressing', 'Promoting'], 'Paused'],
  ['AdvisorDisagreed', ['Progressing'], 'Paused'],
  ['Resume', ['Paused'], 'Progressing'],
  ['Promote', ['Paused', 'Progressing'], 'Progressing'],
  ['PromoteFull', ['Paused', 'Progressing'], 'Promoting'],
  ['StepsCompleted', ['Progressing'], 'Promoting'],
  ['Abort', IN_FLIGHT_PHASES, 'RolledBack'],
  ['PromotionCompleted', ['Promoting'], 'Healthy'],
  ['Retry', ['RolledBack'], 'Progressing'],
  ['WaitForGate', ['Progressing'], 'Paused'],
  ['GateOpened', ['Paused'], 'Progressing'],
  ['Freeze', ['Progressing', 'Paused'], 'Paused'],
  ['RetryAnalysis', ['Paused'], 'Progressing'],
]

export const transitions: ReadonlyMap<RolloutEvent, ReadonlyMap<Phase, Phase>> = (() => {
  const m = new Map<RolloutEvent, Map<Phase, Phase>>()
  for (const [event, from, to] of table) {
    const byPhase = m.get(event) ?? new Map<Phase, Phase>()
    for (const f of from) byPhase.set(f, to)
    m.set(event, byPhase)
  }
  return m
})()

/** The phase `event` leads to from `phase`, or undefined when the table has no such transition. */
export function nextPhase(phase: Phase, event: RolloutEvent): Phase | undefined {
  return transitions.get(event)?.get(phase)
}

/** Phases from which `event` is allowed, for error messages. */
export function phasesAccepting(event: RolloutEvent): Phase[] {
  return [...(transitions.get(event)?.keys() ?? [])]
}
