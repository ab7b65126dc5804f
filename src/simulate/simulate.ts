/**
 * `kanari simulate`: runs the real engine and the real judges against the synthetic traffic model in
 * virtual time, one tick per virtual second, and reports what a release would have done.
 */
import { builtinMetricValue } from '../analysis/run.js'
import { addVersionTraffic, emptyVersionTraffic, type TrafficSample } from '../analysis/traffic.js'
import type { AnalysisPlan, MeasurementRequest } from '../analysis/types.js'
import { applyCommand } from '../engine/commands.js'
import type { RolloutPlan } from '../engine/plan.js'
import { reconcile } from '../engine/reconcile.js'
import { initialStatus, type RolloutStatus } from '../engine/status.js'
import type { Observations } from '../engine/types.js'
import { processTable, type ProcessRow, type ReleaseEvent } from '../report/process-table.js'
import { TrafficModel, type TrafficModelOptions, type SecondOfTraffic } from './traffic-model.js'

export interface SimulationOptions extends TrafficModelOptions {
  /** An indefinite pause (or a blue-green preview waiting) counts as promoted after this many seconds. */
  promoteAfterSeconds: number
  /** Seconds a replica takes to become ready. */
  readySeconds: number
  /** Give up (outcome as it stands) after this much virtual time. */
  maxSeconds: number
}

export type SimulationOutcome = 'Promoted' | 'RolledBack' | 'Paused'

export interface SimulationResult {
  outcome: SimulationOutcome
  reason: string
  steps: ProcessRow[]
  /** Virtual seconds from the start of the release to the final decision. */
  decisionSeconds: number
  totalRequests: number
  canaryRequests: number
  /** User requests that failed because they hit the (faulty) canary. */
  failedRequests: number
  mirroredRequests: number
  /** Metrics left out because simulate can only answer builtin metrics. */
  skippedMetrics: string[]
  events: ReleaseEvent[]
}

/** Only builtin metrics can be answered from the traffic model; others are left out and reported. */
function builtinOnly(
  plan: AnalysisPlan | undefined,
  skipped: Set<string>,
): AnalysisPlan | undefined {
  if (plan === undefined) return undefined
  for (const m of plan.metrics) if (m.provider.kind !== 'builtin') skipped.add(m.name)
  return { ...plan, metrics: plan.metrics.filter((m) => m.provider.kind === 'builtin') }
}

export function simulatablePlan(plan: RolloutPlan): { plan: RolloutPlan; skipped: string[] } {
  const skipped = new Set<string>()
  const strategy = plan.strategy
  const out: RolloutPlan = { ...plan }
  const analysis = builtinOnly(plan.analysis, skipped)
  if (analysis === undefined) delete out.analysis
  else out.analysis = analysis
  if (strategy.kind === 'canary') {
    out.strategy = {
      ...strategy,
      steps: strategy.steps.map((s) =>
        s.kind === 'analysis'
          ? { ...s, analysis: builtinOnly(s.analysis, skipped) ?? s.analysis }
          : s,
      ),
    }
  } else if (strategy.kind === 'blueGreen') {
    const bg = { ...strategy }
    const pre = builtinOnly(strategy.prePromotionAnalysis, skipped)
    const post = builtinOnly(strategy.postPromotionAnalysis, skipped)
    if (pre === undefined) delete bg.prePromotionAnalysis
    else bg.prePromotionAnalysis = pre
    if (post === undefined) delete bg.postPromotionAnalysis
    else bg.postPromotionAnalysis = post
    out.strategy = bg
  }
  return { plan: out, skipped: [...skipped] }
}

class VirtualCluster {
  readonly desired = new Map<number, number>()
  readonly readyAt = new Map<number, { count: number; at: number }[]>()

  scale(revision: number, replicas: number, now: number, readySeconds: number): void {
    const before = this.desired.get(revision) ?? 0
    this.desired.set(revision, replicas)
    const batches = (this.readyAt.get(revision) ?? []).slice()
    if (replicas > before) batches.push({ count: replicas - before, at: now + readySeconds * 1000 })
    else {
      // Scale down removes the newest replicas first.
      let remove = before - replicas
      while (remove > 0 && batches.length > 0) {
        const last = batches[batches.length - 1]
        if (last === undefined) break
        const take = Math.min(remove, last.count)
        last.count -= take
        remove -= take
        if (last.count === 0) batches.pop()
      }
    }
    this.readyAt.set(revision, batches)
  }

  observations(now: number): Observations['versions'] {
    const versions: Observations['versions'] = {}
    for (const [rev, desired] of this.desired) {
      const ready = (this.readyAt.get(rev) ?? [])
        .filter((b) => b.at <= now)
        .reduce((n, b) => n + b.count, 0)
      versions[String(rev)] = { desired, ready: Math.min(ready, desired), crashLooping: false }
    }
    return versions
  }
}

/** Sums the recorded seconds that fall in [from, to). */
function windowOf(
  log: { at: number; second: SecondOfTraffic }[],
  from: number,
  to: number,
): TrafficSample {
  const canary = emptyVersionTraffic()
  const stable = emptyVersionTraffic()
  for (let i = log.length - 1; i >= 0; i--) {
    const entry = log[i]
    if (entry === undefined || entry.at < from) break
    if (entry.at >= to) continue
    addVersionTraffic(canary, entry.second.canary)
    addVersionTraffic(canary, entry.second.canaryShadow)
    addVersionTraffic(stable, entry.second.stable)
  }
  return { from, to, canary, stable }
}

export function simulate(inputPlan: RolloutPlan, options: SimulationOptions): SimulationResult {
  const { plan: releasePlan, skipped } = simulatablePlan(inputPlan)
  const model = new TrafficModel(options)
  const cluster = new VirtualCluster()
  const t0 = 1_700_000_000_000
  let now = t0
  const basePlan: RolloutPlan = { ...releasePlan, revision: 1 }
  const plan: RolloutPlan = { ...releasePlan, revision: 2 }

  // Revision 1 is already serving when the release starts.
  let status: RolloutStatus = reconcile(
    basePlan,
    initialStatus(),
    { versions: {}, measurements: [] },
    now - 1000,
  ).status
  cluster.scale(1, basePlan.replicas, now - 1000, 0)
  status = reconcile(
    basePlan,
    status,
    { versions: cluster.observations(now), measurements: [] },
    now,
  ).status

  const log: { at: number; second: SecondOfTraffic }[] = []
  const events: ReleaseEvent[] = []
  let pending: Observations['measurements'] = []
  let totalRequests = 0
  let canaryRequests = 0
  let failedRequests = 0
  let mirroredRequests = 0
  let pausedSince: number | null = null
  let outcome: SimulationOutcome | null = null

  const answer = (request: MeasurementRequest): void => {
    const traffic = windowOf(log, request.from, request.to)
    const metric = request.provider.kind === 'builtin' ? request.provider.metric : 'error-rate'
    pending.push({
      runId: request.runId,
      measurement: {
        metric: request.metric,
        at: request.to,
        value: builtinMetricValue(metric, traffic),
        traffic,
      },
    })
  }

  for (let second = 0; second <= options.maxSeconds; second++) {
    const obs: Observations = { versions: cluster.observations(now), measurements: pending }
    pending = []
    const result = reconcile(plan, status, obs, now)
    status = result.status
    for (const action of result.actions) {
      if (action.type === 'scale')
        cluster.scale(action.revision, action.replicas, now, options.readySeconds)
      else if (action.type === 'measure') answer(action.request)
      else if (action.type === 'event')
        events.push({
          at: now,
          reason: action.reason,
          message: action.message,
          canaryWeight: action.canaryWeight,
          severity: action.severity,
        })
    }
    if (status.lastOutcome?.revision === plan.revision) {
      outcome = status.lastOutcome.result
      break
    }
    if (status.phase === 'Paused') {
      const reason = status.pause?.reason
      if (reason === 'PauseStep' || reason === 'WaitingPromotion') {
        pausedSince ??= now
        if (now - pausedSince >= options.promoteAfterSeconds * 1000) {
          status = applyCommand(plan, status, { type: 'promote' }, now)
          events.push({
            at: now,
            reason: 'PromotedByUser',
            message: `promoted after ${options.promoteAfterSeconds}s pause`,
            canaryWeight: status.traffic.canaryWeight,
          })
          pausedSince = null
        }
      } else {
        outcome = 'Paused'
        break
      }
    } else pausedSince = null

    // One second of user traffic under the routing now in force.
    now += 1000
    const traffic = model.second(status.traffic)
    log.push({ at: now - 1000, second: traffic })
    if (log.length > 4000) log.splice(0, log.length - 4000)
    totalRequests += traffic.canary.requests + traffic.stable.requests
    canaryRequests += traffic.canary.requests
    failedRequests += traffic.canaryFailed
    mirroredRequests += traffic.mirrored
  }

  const decidedAt = status.lastOutcome?.revision === plan.revision ? status.lastOutcome.at : now
  return {
    outcome: outcome ?? 'Paused',
    reason:
      status.lastOutcome?.revision === plan.revision ? status.lastOutcome.reason : status.message,
    steps: processTable(events),
    decisionSeconds: (decidedAt - t0) / 1000,
    totalRequests,
    canaryRequests,
    failedRequests,
    mirroredRequests,
    skippedMetrics: skipped,
    events,
  }
}
