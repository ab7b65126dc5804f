/**
 * The analysis vocabularies — judges, builtin metrics, metric providers — as `as const` tuples: the
 * one source the analysis types and the spec's schemas are derived from.
 */

/** The judges `spec.analysis.judge` can name (see ./judges/). */
export const JUDGES = ['threshold', 'limit', 'sequential'] as const

/**
 * What a failed analysis does to the release (`onFailure`, `spec.onAnalysisFailure`): roll it back,
 * or freeze it where it stands until a person aborts, promotes or retries.
 */
export const ANALYSIS_FAILURE_POLICIES = ['rollback', 'freeze'] as const

/** Builtin metrics computed from the proxy's (or simulator's) per-version counters; they need no query. */
export const BUILTIN_METRIC_NAMES = [
  'error-rate',
  'success-rate',
  'latency-p50',
  'latency-p95',
  'latency-p99',
  'latency-mean',
] as const

/** Where a metric's values come from: the keys of a metric's `provider` and the plan's provider kinds. */
export const METRIC_PROVIDER_KINDS = ['builtin', 'prometheus', 'web', 'command', 'job'] as const
export type MetricProviderKind = (typeof METRIC_PROVIDER_KINDS)[number]

/** HTTP methods a web metric provider may use. */
export const WEB_METRIC_METHODS = ['GET', 'POST'] as const
