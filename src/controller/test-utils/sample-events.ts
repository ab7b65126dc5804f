/** Engine events the port contracts use: a traffic shift, and a rollback with its explanation. */
import type { EngineEvent } from '../../engine/events.js'

export function shifted(at: number, toWeight: number): EngineEvent {
  return {
    at,
    severity: 'info',
    revision: 2,
    canaryWeight: toWeight,
    stepIndex: 0,
    message: `canary weight → ${toWeight}%`,
    reason: 'TrafficShifted',
    fromWeight: 0,
    toWeight,
  }
}

export const rolledBack: EngineEvent = {
  at: 5,
  severity: 'error',
  revision: 2,
  canaryWeight: 25,
  stepIndex: 3,
  message: 'rolled back revision 2 to stable revision 1: analysis failed',
  reason: 'RolledBack',
  stableRevision: 1,
  cause: 'AnalysisFailed',
  explanation: 'canary error rate 14.8% (37/250) vs stable 0.2% (9/4750)',
}
