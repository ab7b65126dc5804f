/**
 * `kanari simulate`: the real runner, engine and judges against the synthetic traffic model in virtual
 * time, one tick per virtual second, and a report of what a release would have done.
 */
import { trafficMetricOf } from '../analysis/measurement.js'
import type { AnalysisPlan } from '../analysis/types.js'
import { MemoryEventSink } from '../controller/memory-sink.js'
import { MemoryRolloutStore } from '../controller/memory-store.js'
import { MemoryRouter } from '../controller/memory-router.js'
import { RolloutRunner } from '../controller/runner.js'
import type { EngineEvent } from '../engine/events.js'
import type { RolloutPlan } from '../engine/plan.js'
import { initialStatus, type RolloutStatus } from '../engine/status.js'
import { processTable, type ProcessRow } from '../report/process-table.js'
import { ModelMetricProvider, TrafficLog } from './model-metrics.js'
import { SimulatedWebhooks, type SimulatedWebhook } from './simulated-webhooks.js'
import { TrafficModel, type TrafficModelOptions } from './traffic-model.js'
import { VirtualCluster } from './virtual-cluster.js'

export interface SimulationOptions extends TrafficModelOptions {
  /** An indefinite pause (or a blue-green preview waiting) counts as promoted after this many seconds. */
  promoteAfterSeconds: number
  /** Seconds a replica takes to become ready. */
  readySeconds: number
  /** Give up (outcome as it stands) after this much virtual time. */
  maxSeconds: number
  /** The HTTP status each named webhook answers (others: 200, rollback 403); none is called. */
  webhookAnswers?: Record<string, number>
  /** How often the modelled Prometheus scrapes, for Prometheus traffic metrics (default 15). */
  scrapeIntervalSeconds?: number
}

/**
 * `NotJudged`: the release would have been promoted, but no metric was measured (a plan of pauses
 * only, or only metrics simulate cannot answer) — a promotion without evidence is no pass.
 */
export type SimulationOutcome = 'Promoted' | 'RolledBack' | 'Paused' | 'NotJudged'

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
  /** Metrics left out because simulate can only answer traffic metrics. */
  skippedMetrics: string[]
  /** Metrics an analysis run measured and judged during the release. */
  judgedMetrics: string[]
  /** The webhooks asked during the release, with the status simulate answered them with. */
  webhooks: SimulatedWebhook[]
  events: EngineEvent[]
  /** The rollout's status when the simulation ended. */
  status: RolloutStatus
}

/**
 * Only traffic metrics (builtin, or Prometheus per-version counters) can be answered from the traffic
 * model; others are left out and reported.
 */
function builtinOnly(
  plan: AnalysisPlan | undefined,
  skipped: Set<string>,
): AnalysisPlan | undefined {
  if (plan === undefined) return undefined
  const answerable = (m: AnalysisPlan['metrics'][number]): boolean =>
    trafficMetricOf(m) !== undefined
  for (const m of plan.metrics) if (!answerable(m)) skipped.add(m.name)
  return { ...plan, metrics: plan.metrics.filter(answerable) }
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

/** The metrics that analysis runs reached a verdict on, from the typed verdict events. */
function judgedMetrics(events: readonly EngineEvent[]): string[] {
  const judged = new Set<string>()
  for (const e of events)
    if (
      e.reason === 'AnalysisSuccessful' ||
      e.reason === 'AnalysisFailed' ||
      e.reason === 'AnalysisInconclusive'
    )
      for (const m of e.run.metrics) judged.add(m)
  return [...judged]
}

function notJudgedReason(skipped: readonly string[], engineReason: string): string {
  const why =
    skipped.length === 0
      ? 'the plan has no analysis to run'
      : `simulate cannot answer its metrics (${skipped.join(', ')})`
  return `nothing was judged: ${why}; the release would have been promoted (${engineReason}) without evidence`
}

export async function simulate(
  inputPlan: RolloutPlan,
  options: SimulationOptions,
): Promise<SimulationResult> {
  const { plan: releasePlan, skipped } = simulatablePlan(inputPlan)
  const model = new TrafficModel(options)
  const t0 = 1_700_000_000_000
  let now = t0 - 1000
  const basePlan: RolloutPlan = { ...releasePlan, revision: 1 }
  const plan: RolloutPlan = { ...releasePlan, revision: 2 }

  // Revision 1 is already serving (ready at once) when the release starts.
  const cluster = new VirtualCluster(() => now, 0)
  const router = new MemoryRouter()
  const log = new TrafficLog()
  const store = new MemoryRolloutStore()
  store.create(plan.name, initialStatus())
  const sink = new MemoryEventSink()
  const webhooks = new SimulatedWebhooks(options.webhookAnswers ?? {})
  const runner = new RolloutRunner(
    {
      workloads: cluster,
      router,
      metrics: (() => {
        const model = new ModelMetricProvider(log, options.scrapeIntervalSeconds)
        return { builtin: model, prometheus: model }
      })(),
      store,
      sinks: [sink],
      webhooks,
    },
    {
      name: plan.name,
      plan: basePlan,
      status: initialStatus(),
      measurements: 'await',
      driver: 'simulate',
    },
  )
  await runner.tickOnce(now)
  now = t0
  await runner.tickOnce(now)
  cluster.readySeconds = options.readySeconds
  sink.events.length = 0
  webhooks.reset()
  await runner.update(plan)

  let totalRequests = 0
  let canaryRequests = 0
  let failedRequests = 0
  let mirroredRequests = 0
  let pausedSince: number | null = null
  let outcome: SimulationOutcome | null = null

  for (let second = 0; second <= options.maxSeconds; second++) {
    const { status } = await runner.tickOnce(now)
    if (status.lastOutcome?.revision === plan.revision) {
      outcome = status.lastOutcome.result
      break
    }
    if (status.phase === 'Paused') {
      const reason = status.pause?.reason
      if (reason === 'PauseStep' || reason === 'WaitingPromotion') {
        pausedSince ??= now
        if (now - pausedSince >= options.promoteAfterSeconds * 1000) {
          await runner.command({ type: 'promote' }, now, 'simulate')
          pausedSince = null
        }
      } else {
        outcome = 'Paused'
        break
      }
    } else pausedSince = null

    // One second of user traffic under the routing in place.
    now += 1000
    const traffic = model.second(router.current ?? runner.status.traffic)
    log.record(now - 1000, traffic)
    totalRequests += traffic.canary.requests + traffic.stable.requests
    canaryRequests += traffic.canary.requests
    failedRequests += traffic.canaryFailed
    mirroredRequests += traffic.mirrored
  }

  const status = runner.status
  const decided = status.lastOutcome?.revision === plan.revision ? status.lastOutcome : null
  const judged = judgedMetrics(sink.events)
  const notJudged = outcome === 'Promoted' && judged.length === 0
  return {
    outcome: notJudged ? 'NotJudged' : (outcome ?? 'Paused'),
    reason: notJudged
      ? notJudgedReason(skipped, decided?.reason ?? status.message)
      : (decided?.reason ?? status.message),
    steps: processTable(sink.events),
    decisionSeconds: ((decided?.at ?? now) - t0) / 1000,
    totalRequests,
    canaryRequests,
    failedRequests,
    mirroredRequests,
    skippedMetrics: skipped,
    judgedMetrics: judged,
    webhooks: webhooks.report,
    events: sink.events,
    status,
  }
}
