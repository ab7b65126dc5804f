/**
 * The daemon's own metrics through prom-client, at `GET /metrics`: each rollout's phase, weight,
 * revisions and step read from its status at scrape time, and counters fed after every tick — the
 * results of each metric's measurements, finished analysis runs, promotions, rollbacks by cause,
 * how long releases took to be decided, and how long ticks take. Request counts are not here: each
 * proxy process serves its own (see local/metrics/proxy-metrics.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { AnalysisRunStatus, MetricTally } from '../../analysis/types.js'
import type { EngineEvent } from '../../engine/events.js'
import { PHASES, type RolloutStatus } from '../../engine/status.js'
import { KANARI_VERSION } from '../../version.js'

const RESULTS = ['successful', 'failed', 'inconclusive', 'errors'] as const
const RESULT_LABEL: Record<(typeof RESULTS)[number], string> = {
  successful: 'Successful',
  failed: 'Failed',
  inconclusive: 'Inconclusive',
  errors: 'Error',
}

/** What the metrics read at scrape time. */
export interface RolloutReading {
  name: string
  status: RolloutStatus
}

function runsOf(status: RolloutStatus): AnalysisRunStatus[] {
  return [status.analyses.background, status.analyses.step].filter(
    (r): r is AnalysisRunStatus => r !== null,
  )
}

export class DaemonMetrics {
  readonly registry = new Registry()
  readonly #measurements: Counter<'rollout' | 'metric' | 'result'>
  readonly #runs: Counter<'rollout' | 'kind' | 'phase'>
  readonly #promotions: Counter<'rollout'>
  readonly #rollbacks: Counter<'rollout' | 'cause'>
  readonly #decisions: Histogram<'rollout' | 'result'>
  readonly #ticks: Histogram<'rollout'>

  constructor(rollouts: () => Iterable<RolloutReading>) {
    const registers = [this.registry]
    new Gauge({
      name: 'kanari_info',
      help: "Kanari's version (always 1).",
      labelNames: ['version'],
      registers,
      collect() {
        this.set({ version: KANARI_VERSION }, 1)
      },
    })
    new Gauge({
      name: 'kanari_rollout_phase',
      help: "The rollout's phase: 1 for the phase it is in, 0 for the others.",
      labelNames: ['rollout', 'phase'],
      registers,
      collect() {
        this.reset()
        for (const r of rollouts())
          for (const phase of PHASES)
            this.set({ rollout: r.name, phase }, r.status.phase === phase ? 1 : 0)
      },
    })
    new Gauge({
      name: 'kanari_rollout_canary_weight',
      help: 'Percent of weighted traffic sent to the canary (0 when there is none).',
      labelNames: ['rollout'],
      registers,
      collect() {
        this.reset()
        for (const r of rollouts())
          this.set(
            { rollout: r.name },
            r.status.traffic.canaryRevision === null ? 0 : r.status.traffic.canaryWeight,
          )
      },
    })
    new Gauge({
      name: 'kanari_rollout_revision',
      help: 'The revision in each role (stable, canary); a role with no revision has no series.',
      labelNames: ['rollout', 'role'],
      registers,
      collect() {
        this.reset()
        for (const r of rollouts()) {
          if (r.status.stableRevision !== null)
            this.set({ rollout: r.name, role: 'stable' }, r.status.stableRevision)
          if (r.status.canaryRevision !== null)
            this.set({ rollout: r.name, role: 'canary' }, r.status.canaryRevision)
        }
      },
    })
    new Gauge({
      name: 'kanari_rollout_step',
      help: 'Index of the canary step the rollout is at (0-based).',
      labelNames: ['rollout'],
      registers,
      collect() {
        this.reset()
        for (const r of rollouts()) this.set({ rollout: r.name }, r.status.currentStepIndex)
      },
    })
    new Gauge({
      name: 'kanari_analysis_metric_value',
      help: "The last value of each metric of the rollout's running analyses (numbers only).",
      labelNames: ['rollout', 'kind', 'metric'],
      registers,
      collect() {
        this.reset()
        for (const r of rollouts())
          for (const run of runsOf(r.status))
            for (const m of run.metrics)
              if (typeof m.lastValue === 'number' && Number.isFinite(m.lastValue))
                this.set({ rollout: r.name, kind: run.kind, metric: m.name }, m.lastValue)
      },
    })
    this.#measurements = new Counter({
      name: 'kanari_analysis_measurements_total',
      help: 'Measurements folded into analysis runs, by metric and result (Successful, Failed, Inconclusive, Error).',
      labelNames: ['rollout', 'metric', 'result'],
      registers,
    })
    this.#runs = new Counter({
      name: 'kanari_analysis_runs_total',
      help: 'Analysis runs finished, by kind (background, step, prePromotion, postPromotion) and phase.',
      labelNames: ['rollout', 'kind', 'phase'],
      registers,
    })
    this.#promotions = new Counter({
      name: 'kanari_promotions_total',
      help: 'Revisions promoted to stable.',
      labelNames: ['rollout'],
      registers,
    })
    this.#rollbacks = new Counter({
      name: 'kanari_rollbacks_total',
      help: 'Releases rolled back, by cause (AnalysisFailed, BackgroundAnalysisFailed, CrashLoop, ProgressDeadline, UserAbort).',
      labelNames: ['rollout', 'cause'],
      registers,
    })
    this.#decisions = new Histogram({
      name: 'kanari_decision_duration_seconds',
      help: 'From the start of a release to its promotion or rollback.',
      labelNames: ['rollout', 'result'],
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    })
    this.#ticks = new Histogram({
      name: 'kanari_tick_duration_seconds',
      help: 'How long one tick of a rollout took: observe, reconcile, persist, act.',
      labelNames: ['rollout'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    })
  }

  /** Adds Node's process metrics (memory, CPU, event loop) with their standard names. */
  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry })
    return this
  }

  /** Folds one tick in: what changed between `before` and `after`, and the events it recorded. */
  observeTick(
    rollout: string,
    before: RolloutStatus,
    after: RolloutStatus,
    events: readonly EngineEvent[],
    seconds: number,
  ): void {
    this.#ticks.observe({ rollout }, seconds)
    const previous = new Map(runsOf(before).map((r) => [r.id, r]))
    const current = new Set(runsOf(after).map((r) => r.id))
    for (const run of runsOf(after)) {
      const was = previous.get(run.id)
      for (const m of run.metrics)
        this.#countMeasurements(
          rollout,
          m,
          was?.metrics.find((x) => x.name === m.name),
        )
    }
    // A run that ended and was replaced (or cleared) in this tick is gone from the status: its
    // verdict event has what it folded in last.
    for (const e of events) {
      if (!('tally' in e) || current.has(e.run.id)) continue
      const was = previous.get(e.run.id)
      for (const m of e.tally)
        this.#countMeasurements(
          rollout,
          m,
          was?.metrics.find((x) => x.name === m.name),
        )
    }
    for (const e of events) {
      switch (e.reason) {
        case 'Promoted':
          this.#promotions.inc({ rollout })
          this.#decided(rollout, 'promoted', e.at - before.rolloutStartedAt)
          break
        case 'RolledBack':
          this.#rollbacks.inc({ rollout, cause: e.cause })
          this.#decided(rollout, 'rolled_back', e.at - before.rolloutStartedAt)
          break
        case 'AnalysisSuccessful':
        case 'AnalysisFailed':
        case 'AnalysisError':
        case 'AnalysisInconclusive':
          this.#runs.inc({ rollout, kind: e.run.kind, phase: e.phase })
          break
        default:
          break
      }
    }
  }

  #decided(rollout: string, result: string, ms: number): void {
    if (ms >= 0 && Number.isFinite(ms)) this.#decisions.observe({ rollout, result }, ms / 1000)
  }

  #countMeasurements(rollout: string, now: MetricTally, was: MetricTally | undefined): void {
    let judged = 0
    for (const key of RESULTS) {
      const delta = now[key] - (was?.[key] ?? 0)
      if (delta > 0)
        this.#measurements.inc({ rollout, metric: now.name, result: RESULT_LABEL[key] }, delta)
      judged += Math.max(0, delta)
    }
    // The sequential judge reads traffic windows without a verdict each: they count as its reading.
    const windows = now.measurements - (was?.measurements ?? 0) - judged
    if (windows > 0)
      this.#measurements.inc(
        { rollout, metric: now.name, result: now.lastPhase ?? 'Inconclusive' },
        windows,
      )
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
