/**
 * Query sets: the per-version counters of the usual sources, so that a metric can read request and
 * error counts and latency buckets from Prometheus without the user writing PromQL. Each query gives
 * a running total for the version whose label matchers replace `{{ selector }}`. The metric and label
 * names are those the sources document: Istio's standard metrics, ingress-nginx's controller metrics,
 * Envoy's cluster statistics (Gateway API implementations that keep one Envoy cluster per backend
 * Service, such as Contour), Traefik's per-service metrics, Linkerd's proxy metrics, and Kanari's own proxy.
 *
 * Two traps every set avoids. An error series (a 5xx code label) exists only after the first error,
 * so each errors query ends in `or vector(0)`: no errors yet reads as 0, not as no data. And most
 * sources count per Service or workload, not per revision, so a new revision inherits the old one's
 * counts: the queries are running totals, never `rate()`/`increase()` over a trailing range, and the
 * traffic reader takes the difference of totals at the ends of windows that start with the revision.
 *
 * The default selectors follow the workload model Kanari shares with Flagger on Kubernetes: the
 * stable version runs as `<target>-primary` (Service `<target>-primary`), the canary as `<target>`
 * (Service `<target>-canary`). Both can be replaced per metric.
 */
import type { TrafficQueries } from '../analysis/types.js'

export const PROMETHEUS_QUERY_SETS = [
  'kanari',
  'istio',
  'nginx',
  'gateway-api',
  'traefik',
  'linkerd',
] as const
export type QuerySetName = (typeof PROMETHEUS_QUERY_SETS)[number]

export type QuerySet = Omit<TrafficQueries, 'metric' | 'querySet'> & {
  latencyBuckets: string
  latencySum: string
  /** One line for docs and messages. */
  source: string
}

/** A selector inside a metric's braces, with more matchers after it. */
const sel = (metric: string, more = ''): string =>
  `${metric}{ {{ selector }}${more === '' ? '' : `, ${more}`} }`

/** An errors total that reads 0, not "no series", before the first error. */
const errorsTotal = (metric: string, matchers: string): string =>
  `sum(${sel(metric, matchers)}) or vector(0)`

export const QUERY_SETS: Record<QuerySetName, QuerySet> = {
  kanari: {
    source:
      "Kanari's proxy (local mode): kanari_proxy_requests_total, kanari_proxy_request_duration_seconds",
    selectors: {
      canary: 'rollout="{{ target }}", revision="{{ revision }}"',
      stable: 'rollout="{{ target }}", revision="{{ revision }}"',
    },
    requests: `sum(${sel('kanari_proxy_requests_total')})`,
    errors: errorsTotal('kanari_proxy_requests_total', 'code_class=~"5xx|failed"'),
    latencyBuckets: `sum by (le) (${sel('kanari_proxy_request_duration_seconds_bucket')})`,
    latencySum: `sum(${sel('kanari_proxy_request_duration_seconds_sum')})`,
    latencyUnit: 'seconds',
  },
  istio: {
    source:
      'Istio standard metrics as the server-side proxy reports them: istio_requests_total, istio_request_duration_milliseconds',
    selectors: {
      canary:
        'destination_workload_namespace="{{ namespace }}", destination_workload="{{ target }}"',
      stable:
        'destination_workload_namespace="{{ namespace }}", destination_workload="{{ target }}-primary"',
    },
    requests: `sum(${sel('istio_requests_total', 'reporter="destination"')})`,
    errors: errorsTotal('istio_requests_total', 'reporter="destination", response_code=~"5.."'),
    latencyBuckets: `sum by (le) (${sel('istio_request_duration_milliseconds_bucket', 'reporter="destination"')})`,
    latencySum: `sum(${sel('istio_request_duration_milliseconds_sum', 'reporter="destination"')})`,
    latencyUnit: 'milliseconds',
  },
  nginx: {
    source:
      'ingress-nginx controller metrics: nginx_ingress_controller_requests, nginx_ingress_controller_request_duration_seconds (the canary label names the canary backend)',
    selectors: {
      canary: 'namespace="{{ namespace }}", ingress="{{ ingress }}", canary!=""',
      stable: 'namespace="{{ namespace }}", ingress="{{ ingress }}", canary=""',
    },
    requests: `sum(${sel('nginx_ingress_controller_requests')})`,
    errors: errorsTotal('nginx_ingress_controller_requests', 'status=~"5.."'),
    latencyBuckets: `sum by (le) (${sel('nginx_ingress_controller_request_duration_seconds_bucket')})`,
    latencySum: `sum(${sel('nginx_ingress_controller_request_duration_seconds_sum')})`,
    latencyUnit: 'seconds',
  },
  'gateway-api': {
    source:
      'Envoy cluster statistics of a Gateway API implementation with one cluster per backend Service (Contour names them <namespace>_<service>_<port>): envoy_cluster_upstream_rq_total, envoy_cluster_upstream_rq_xx, envoy_cluster_upstream_rq_time',
    selectors: {
      canary: 'envoy_cluster_name=~"{{ namespace }}_{{ target }}-canary_[0-9]+"',
      stable: 'envoy_cluster_name=~"{{ namespace }}_{{ target }}-primary_[0-9]+"',
    },
    requests: `sum(${sel('envoy_cluster_upstream_rq_total')})`,
    errors: errorsTotal('envoy_cluster_upstream_rq_xx', 'envoy_response_code_class="5"'),
    latencyBuckets: `sum by (le) (${sel('envoy_cluster_upstream_rq_time_bucket')})`,
    latencySum: `sum(${sel('envoy_cluster_upstream_rq_time_sum')})`,
    latencyUnit: 'milliseconds',
  },
  traefik: {
    source:
      "Traefik's per-service metrics with addServicesLabels (its Gateway API provider names a backend httproute-…-svc-<namespace>-<service>-<n>@kubernetesgateway): traefik_service_requests_total, traefik_service_request_duration_seconds",
    selectors: {
      canary:
        'service=~"httproute-.+-svc-{{ namespace }}-{{ target }}-canary-[0-9]+@kubernetesgateway"',
      stable:
        'service=~"httproute-.+-svc-{{ namespace }}-{{ target }}-primary-[0-9]+@kubernetesgateway"',
    },
    requests: `sum(${sel('traefik_service_requests_total')})`,
    errors: errorsTotal('traefik_service_requests_total', 'code=~"5.."'),
    latencyBuckets: `sum by (le) (${sel('traefik_service_request_duration_seconds_bucket')})`,
    latencySum: `sum(${sel('traefik_service_request_duration_seconds_sum')})`,
    latencyUnit: 'seconds',
  },
  linkerd: {
    source:
      "Linkerd proxy metrics on the inbound side (the deployment label as Linkerd's Prometheus configuration adds it): response_total, response_latency_ms",
    selectors: {
      canary: 'namespace="{{ namespace }}", deployment="{{ target }}"',
      stable: 'namespace="{{ namespace }}", deployment="{{ target }}-primary"',
    },
    requests: `sum(${sel('response_total', 'direction="inbound"')})`,
    errors: errorsTotal('response_total', 'direction="inbound", classification="failure"'),
    latencyBuckets: `sum by (le) (${sel('response_latency_ms_bucket', 'direction="inbound"')})`,
    latencySum: `sum(${sel('response_latency_ms_sum', 'direction="inbound"')})`,
    latencyUnit: 'milliseconds',
  },
}
