/**
 * Analysis contracts: what a metric is (after normalisation), what a measurement is, and the state an
 * analysis run keeps in the rollout status. Pure data; the judges live beside this file.
 */
import type { TrafficSample } from './traffic.js'
import type { LatencySketch } from './latency-sketch.js'
import type {
  ANALYSIS_FAILURE_POLICIES,
  BUILTIN_METRIC_NAMES,
  JUDGES,
  MetricProviderKind,
  WEB_METRIC_METHODS,
} from './vocabulary.js'

export type JudgeName = (typeof JUDGES)[number]

/** Builtin metrics computed from the proxy's (or simulator's) per-version counters; they need no query. */
export type BuiltinMetricName = (typeof BUILTIN_METRIC_NAMES)[number]

/** Where a secret comes from: an environment variable of the measuring process, or a file. */
export type SecretSource = { env: string } | { file: string }

/** How a provider authenticates: a bearer token, or a user name and password (HTTP basic). */
export type HttpAuth =
  | { kind: 'bearer'; token: SecretSource }
  | { kind: 'basic'; username: string; password: SecretSource }

/**
 * Per-version counters read from Prometheus, so that a metric's measurement is traffic (canary vs
 * stable) like the builtin metrics'. Each query gives a running total (a counter or a sum of them)
 * for the version whose label matchers replace `{{ selector }}`; a measurement is the difference of
 * the totals at the two ends of its window.
 */
export interface TrafficQueries {
  /** The quantity worked out from the counts, named like the builtin metric it matches. */
  metric: BuiltinMetricName
  /** The query set the queries came from (for messages), or undefined for the user's own. */
  querySet?: string
  /** PromQL label matchers of each version, e.g. `destination_workload="checkout-primary"`. */
  selectors: { canary: string; stable: string }
  requests: string
  errors: string
  /** `sum by (le) (…_bucket{…})`: cumulative counts by upper bound. */
  latencyBuckets?: string
  latencySum?: string
  /** Unit of the bucket bounds and of the sum. */
  latencyUnit: 'seconds' | 'milliseconds'
}

export type MetricProviderPlan =
  | { kind: 'builtin'; metric: BuiltinMetricName }
  | {
      kind: 'prometheus'
      address: string
      /** One query whose value is the measurement; or `traffic` instead. */
      query?: string
      /** With `query`: a range query over this many seconds before the window's end, one point each step. */
      range?: { seconds: number; stepSeconds: number }
      traffic?: TrafficQueries
      headers: Record<string, string>
      auth?: HttpAuth
      timeoutSeconds?: number
    }
  | {
      kind: 'web'
      url: string
      method: (typeof WEB_METRIC_METHODS)[number]
      headers: Record<string, string>
      body?: string
      jsonPath: string
      auth?: HttpAuth
      timeoutSeconds?: number
    }
  | { kind: 'command'; command: string[]; timeoutSeconds?: number }
  /** Kubernetes: a Job in the rollout's namespace; it passing is 1, it failing 0. */
  | { kind: 'job'; namespace: string; image: string; command: string[]; timeoutSeconds?: number }

// Every provider kind has a plan and every plan a kind: this fails to compile when they drift apart.
type SameKinds = [MetricProviderKind] extends [MetricProviderPlan['kind']]
  ? [MetricProviderPlan['kind']] extends [MetricProviderKind]
    ? true
    : false
  : false
export const PROVIDER_KINDS_MATCH_PLANS: SameKinds = true

export interface ThresholdRange {
  min?: number
  max?: number
}

/** One metric of an analysis run, with every default applied and every `{{args.x}}` substituted. */
export interface MetricPlan {
  name: string
  provider: MetricProviderPlan
  /** Seconds between measurements (and the query window for windowed providers). */
  intervalSeconds: number
  /** Measurements to take; undefined = keep measuring until the run is stopped (background). */
  count?: number
  initialDelaySeconds: number
  thresholdRange?: ThresholdRange
  /** Safe expressions over `result` (see ./condition.ts); never eval'd. */
  successCondition?: string
  failureCondition?: string
  /** Argo semantics: the run fails when failed measurements exceed this. Default 0. */
  failureLimit: number
  /** The run is inconclusive when inconclusive measurements exceed this. Default 0. */
  inconclusiveLimit: number
  /**
   * Argo's count of provider errors in a row. With `errorGraceSeconds`, the run errors only when
   * both are exceeded: more errors in a row than this, over at least the grace. Default 4.
   */
  consecutiveErrorLimit: number
  /**
   * How long the metric's monitoring may be unavailable (provider errors in a row) before its errors
   * can end the run; meanwhile the run holds. 0 = by count alone (Argo). Default 60.
   */
  errorGraceSeconds: number
}

export interface AnalysisPlan {
  /** 'background' runs across steps until the rollout ends; others end by themselves. */
  kind: 'background' | 'step' | 'prePromotion' | 'postPromotion'
  judge: JudgeName
  metrics: MetricPlan[]
  /** Threshold judge (Flagger): failed checks before the run fails. */
  threshold: number
  /** Sequential judge: the false-rollback rate the test guarantees (over the whole run). */
  alpha: number
  /** Fewest canary requests a run must see before it can pass; fewer is never a pass. */
  minCanaryRequests: number
  /**
   * What a failed (or errored) run does to the release: roll it back, or freeze it where it stands
   * for a person to decide. Absent: rollback.
   */
  onFailure?: AnalysisFailurePolicy
}

export type AnalysisFailurePolicy = (typeof ANALYSIS_FAILURE_POLICIES)[number]

/** What one metric query returned. `value` null or NaN means "no data". */
export interface Measurement {
  metric: string
  /** When it was taken (epoch ms); the window it covers ends here. */
  at: number
  value?: number | number[] | null
  /** Per-version traffic for the window (builtin metrics); the sequential judge uses this. */
  traffic?: TrafficSample
  /** Set when the provider failed (timeout, bad query, unreachable). */
  error?: string
}

export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error'

export type AnalysisPhase = 'Running' | 'Successful' | 'Failed' | 'Inconclusive' | 'Error'

/** A request to measure one metric over [from, to), emitted by the engine and answered by the driver. */
export interface MeasurementRequest {
  runId: string
  metric: string
  provider: MetricProviderPlan
  from: number
  to: number
}

/** Counts of one side over the current sequential-test segment (JSON; latency as in VersionTraffic). */
export interface SegmentCounts {
  requests: number
  errors: number
  latencyBuckets: number[]
  /** Absent when some window had only buckets (Prometheus), and in statuses stored before sketches. */
  latencySketch?: LatencySketch
}

/** Accumulators of the sequential judge for one metric, over the current test segment. */
export interface SequentialState {
  canary: SegmentCounts
  stable: SegmentCounts
  /** Log of the mixture likelihood ratio of the comparative test (canary vs stable), last computed. */
  logBayesFactor: number
  /** Log of the mixture likelihood ratio of the absolute test (canary vs the threshold), last computed. */
  logBayesFactorAbsolute: number
  /**
   * Log of the bound either factor must reach to fail the canary, as last compared (it tightens as
   * segments are spent); absent before the first check, and in statuses stored before it was kept.
   */
  logBound?: number
}

/**
 * The sequential judge's standing against the canary on one metric: the larger of its two log
 * likelihood ratios (vs stable, vs the metric's limit) and the log bound that fails the canary.
 */
export interface MetricEvidence {
  metric: string
  logLikelihoodRatio: number
  logBound: number
}

/** How many measurements of one metric a run folded in, by result, as the run ended. */
export type MetricTally = Pick<
  MetricRunStatus,
  'name' | 'measurements' | 'successful' | 'failed' | 'inconclusive' | 'errors' | 'lastPhase'
>

/** Per-metric progress of an analysis run, stored in the rollout status. JSON only. */
export interface MetricRunStatus {
  name: string
  measurements: number
  successful: number
  failed: number
  inconclusive: number
  errors: number
  consecutiveErrors: number
  /**
   * The provider's current run of errors: since its first errored measurement (epoch ms), and its
   * last error. Absent while it answers. While set, the run holds: it does not pass, and these
   * errors do not end it before `errorGraceSeconds`.
   */
  unavailable?: { since: number; error: string }
  /** Epoch ms at which the next measurement is due. */
  nextMeasureAt: number
  /** End of the last window folded in (epoch ms); measurements at or before it are ignored. */
  lastMeasuredAt: number | null
  lastValue?: number | number[] | null
  lastPhase?: MeasurementPhase
  /** Human text for the last measurement: "error rate 0.4% (2/500) <= 1%". */
  lastMessage?: string
  sequential?: SequentialState
}

/** One analysis run (background, step, pre/post promotion) as kept in the rollout status. JSON only. */
export interface AnalysisRunStatus {
  /** Opaque and unique within the rollout; measurements are matched to runs by it. */
  id: string
  kind: AnalysisPlan['kind']
  /** The revision under analysis. */
  revision: number
  /** The canary step the run belongs to (step runs only), else null. */
  stepIndex: number | null
  judge: JudgeName
  phase: AnalysisPhase
  startedAt: number
  endedAt?: number
  /**
   * Human explanation of the verdict so far, e.g.
   * "canary error rate 14.8% (37/250) vs stable 0.2% (9/4750); p < 0.001".
   */
  message: string
  /** Threshold judge: interval checks that failed so far in this run. */
  failedChecks: number
  /** The latest check of every metric passed with enough data (gates Flagger-style step advance). */
  passing: boolean
  /** Start of the current sequential-test segment (reset when the canary's weight changes). */
  segmentStartedAt: number
  /** Segments started so far; the sequential judge spends its alpha across them. */
  segments: number
  metrics: MetricRunStatus[]
  /** Canary and stable traffic seen by this run (builtin metrics only), for reports. */
  canaryRequests: number
  canaryErrors: number
  stableRequests: number
  stableErrors: number
}
