/**
 * The judge interface: how an analysis run folds measurements and reaches a verdict. The engine
 * chooses a judge by name from `judges` in ./index.ts.
 */
import type {
  AnalysisPlan,
  AnalysisRunStatus,
  Measurement,
  MetricPlan,
  MetricRunStatus,
} from '../types.js'

export interface MeasuredMetric {
  metric: MetricPlan
  status: MetricRunStatus
  measurement: Measurement
}

export interface Judge {
  /** Seconds between measurements of this metric. */
  cadenceSeconds(plan: AnalysisPlan, metric: MetricPlan): number
  /** Whether this metric still wants measurements. */
  wantsMore(plan: AnalysisPlan, metric: MetricPlan, status: MetricRunStatus): boolean
  /** Folds the measurements of one call (all metrics), mutating the (cloned) run. */
  fold(plan: AnalysisPlan, run: AnalysisRunStatus, batch: MeasuredMetric[]): void
  /** Sets the run's phase, message and `passing` from what it has seen, at `now`. */
  verdict(plan: AnalysisPlan, run: AnalysisRunStatus, now: number): void
}
