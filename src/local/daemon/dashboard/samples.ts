/**
 * The dashboard's numbers, from what the daemon already has: per-second traffic deltas of the proxy's
 * lifetime counters over a short sliding window, the sequential judge's evidence from the status,
 * and a rollout's list row with how much it needs attention.
 */
import {
  addVersionTraffic,
  emptyVersionTraffic,
  latencyQuantile,
  type VersionTraffic,
} from '../../../analysis/traffic.js'
import { sketchSince } from '../../../analysis/latency-sketch.js'
import { sequentialEvidence } from '../../../analysis/run.js'
import type { AnalysisRunStatus } from '../../../analysis/types.js'
import type { EngineEvent } from '../../../engine/events.js'
import type { RolloutPlan } from '../../../engine/plan.js'
import type { RolloutStatus } from '../../../engine/status.js'
import type {
  EvidenceSample,
  ReplicaSample,
  RolloutSummary,
  SideSample,
  VerdictSummary,
} from './wire.js'

/** Seconds of traffic each chart point covers: one second is too few requests to read a rate from. */
export const WINDOW_SECONDS = 5

/** `now - before`, per field; a counter that went down (a restarted proxy) counts from zero. */
export function trafficSince(
  now: VersionTraffic,
  before: VersionTraffic | undefined,
): VersionTraffic {
  if (before === undefined || now.requests < before.requests)
    return addVersionTraffic(emptyVersionTraffic(), now)
  const out = emptyVersionTraffic()
  out.requests = now.requests - before.requests
  out.errors = Math.max(0, now.errors - before.errors)
  out.latencySumMs = Math.max(0, now.latencySumMs - before.latencySumMs)
  for (const k of Object.keys(out.statusClasses) as (keyof VersionTraffic['statusClasses'])[])
    out.statusClasses[k] = Math.max(0, now.statusClasses[k] - before.statusClasses[k])
  out.latencyBuckets = now.latencyBuckets.map((c, i) =>
    Math.max(0, c - (before.latencyBuckets[i] ?? 0)),
  )
  if (now.latencySketch !== undefined && before.latencySketch !== undefined)
    out.latencySketch = sketchSince(now.latencySketch, before.latencySketch)
  else delete out.latencySketch
  return out
}

/**
 * Lifetime counters read once a second become the traffic of the last few seconds: what the charts
 * show. One per rollout; it forgets backends the proxy no longer reports.
 */
export class SlidingTraffic {
  #previous = new Map<string, VersionTraffic>()
  #deltas: Map<string, VersionTraffic>[] = []

  constructor(readonly windowSeconds = WINDOW_SECONDS) {}

  /** Folds in one reading of every backend's lifetime totals. */
  add(totals: ReadonlyMap<string, VersionTraffic>): void {
    const delta = new Map<string, VersionTraffic>()
    for (const [backend, now] of totals)
      delta.set(backend, trafficSince(now, this.#previous.get(backend)))
    this.#previous = new Map(totals)
    this.#deltas.push(delta)
    if (this.#deltas.length > this.windowSeconds) this.#deltas.shift()
  }

  /** A backend's traffic over the window. */
  window(backend: string): VersionTraffic {
    const out = emptyVersionTraffic()
    for (const d of this.#deltas) {
      const t = d.get(backend)
      if (t !== undefined) addVersionTraffic(out, t)
    }
    return out
  }
}

export function sideSample(revision: number, t: VersionTraffic): SideSample {
  const p99 = latencyQuantile(t, 0.99)
  return {
    revision,
    requests: t.requests,
    errors: t.errors,
    errorRatePercent: t.requests === 0 ? null : (100 * t.errors) / t.requests,
    latencyP99Ms: Number.isFinite(p99) ? p99 : null,
  }
}

/** The sequential judge's standing against the canary, for every metric of the running analyses. */
export function evidenceOf(status: RolloutStatus): EvidenceSample[] {
  const runs = [status.analyses.background, status.analyses.step].filter(
    (r): r is AnalysisRunStatus => r !== null,
  )
  return runs.flatMap((run) =>
    sequentialEvidence(run).map((e) => ({ runId: run.id, runKind: run.kind, ...e })),
  )
}

const VERDICT_REASONS = new Set([
  'AnalysisSuccessful',
  'AnalysisFailed',
  'AnalysisError',
  'AnalysisInconclusive',
  'RolledBack',
  'Promoted',
])

/** The event as a verdict for the list, if it is one (an analysis verdict or an outcome). */
export function verdictOf(e: EngineEvent): VerdictSummary | undefined {
  if (!VERDICT_REASONS.has(e.reason)) return undefined
  const explanation =
    'explanation' in e
      ? e.explanation
      : e.reason === 'Promoted'
        ? e.byUser
          ? 'promoted by a user'
          : 'every step passed'
        : ''
  return { reason: e.reason, explanation, at: e.at, stepIndex: e.stepIndex }
}

const ATTENTION = ['failing', 'paused', 'progressing', 'healthy'] as const

/** How much a rollout needs someone: a rollback or a crash loop first, then a pause, a release moving, a quiet one. */
export function attentionOf(
  status: RolloutStatus,
  replicas: ReplicaSample[],
  crashLooping: boolean,
): { attention: number; attentionLabel: RolloutSummary['attentionLabel'] } {
  const running = [status.analyses.background, status.analyses.step].some(
    (r) => r !== null && (r.phase === 'Failed' || r.phase === 'Error'),
  )
  const short = replicas.some((r) => r.role !== 'old' && r.ready < r.desired)
  const attention =
    status.phase === 'RolledBack' || running || crashLooping
      ? 0
      : status.phase === 'Paused'
        ? 1
        : status.phase === 'Healthy' && !short
          ? 3
          : 2
  return { attention, attentionLabel: ATTENTION[attention] }
}

export function summaryOf(
  name: string,
  status: RolloutStatus,
  plan: RolloutPlan,
  createdAt: number,
  lastVerdict: VerdictSummary | null,
  replicas: ReplicaSample[],
  crashLooping: boolean,
): RolloutSummary {
  const strategy = plan.strategy
  return {
    name,
    phase: status.phase,
    message: status.message,
    stableRevision: status.stableRevision,
    canaryRevision: status.canaryRevision,
    canaryWeight: status.traffic.canaryWeight,
    stepIndex: status.currentStepIndex,
    stepCount: strategy.kind === 'canary' ? strategy.steps.length : 0,
    strategy: strategy.kind,
    createdAt,
    lastVerdict,
    ...attentionOf(status, replicas, crashLooping),
  }
}
