/**
 * Workload problems the driver observes — a command not found, replicas that exit as they start,
 * never pass readiness, or keep crashing — reported once each as a `WorkloadProblem` event while
 * they last; the status message names them wherever the rollout waits for those replicas.
 */
import type { Tick } from './tick.js'
import type { WorkloadProblemReason } from './types.js'

export function reportWorkloadProblems(t: Tick): void {
  const s = t.status
  const reported = s.reportedProblems ?? {}
  const open: Record<string, WorkloadProblemReason> = {}
  const wanted = Object.keys(s.replicas).sort((a, b) => Number(a) - Number(b))
  for (const key of wanted) {
    const problem = t.obs.versions[key]?.problem
    if (problem === undefined) continue
    open[key] = problem.reason
    if (reported[key] === problem.reason) continue
    const revision = Number(key)
    const role =
      revision === s.stableRevision ? 'stable' : revision === s.canaryRevision ? 'canary' : 'old'
    t.emit(
      problem.reason === 'NotReady' ? 'warn' : 'error',
      { reason: 'WorkloadProblem', role, problem },
      `${role === 'canary' ? t.role : role} revision ${key}: ${problem.message}; ${problem.hint}`,
      s.traffic.canaryWeight,
      revision,
    )
  }
  if (Object.keys(open).length > 0) s.reportedProblems = open
  else delete s.reportedProblems
}

/** ": <why>" when the driver knows why a revision's replicas are not ready, else "". */
export function waitingCause(t: Tick, revision: number | null): string {
  const problem = t.version(revision).problem
  return problem === undefined ? '' : `: ${problem.message}`
}
