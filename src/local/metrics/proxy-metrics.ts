/**
 * A rollout proxy's own metrics through prom-client, read from its counters when Prometheus scrapes
 * (nothing is added to the request path): user requests by revision, role and status class, their
 * latency as a histogram, mirrored copies and their answers, and the answers the proxy gave itself.
 * Served by each proxy process on a loopback port of its own (see proxy-host/metrics-server.ts).
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { LATENCY_BUCKETS_MS, type VersionTraffic } from '../../analysis/traffic.js'
import type { ProxyRoutes } from '../proxy/types.js'
import type { TrafficReader } from './traffic-reader.js'
import { NO_BACKEND, PROXY_ANSWER_REASONS } from './traffic-recorder.js'

const VERSION_LABELS = ['rollout', 'revision', 'role'] as const
type VersionLabels = Record<(typeof VERSION_LABELS)[number], string>

/** A histogram whose values are read from the proxy's lifetime counters at each scrape. */
class RecordedHistogram extends Histogram<(typeof VERSION_LABELS)[number]> {
  constructor(
    private readonly metricName: string,
    private readonly metricHelp: string,
    private readonly series: () => { labels: VersionLabels; traffic: VersionTraffic }[],
  ) {
    super({
      name: metricName,
      help: metricHelp,
      labelNames: VERSION_LABELS,
      buckets: LATENCY_BUCKETS_MS.map((ms) => ms / 1000),
      registers: [],
    })
  }

  override get(): ReturnType<Histogram['get']> {
    const name = this.metricName
    const values = this.series().flatMap(({ labels, traffic }) => {
      let cumulative = 0
      const buckets = LATENCY_BUCKETS_MS.map((ms, i) => {
        cumulative += traffic.latencyBuckets[i] ?? 0
        return {
          labels: { ...labels, le: ms / 1000 },
          value: cumulative,
          metricName: `${name}_bucket`,
        }
      })
      cumulative += traffic.latencyBuckets[LATENCY_BUCKETS_MS.length] ?? 0
      return [
        ...buckets,
        { labels: { ...labels, le: '+Inf' }, value: cumulative, metricName: `${name}_bucket` },
        { labels, value: traffic.latencySumMs / 1000, metricName: `${name}_sum` },
        { labels, value: traffic.requests, metricName: `${name}_count` },
      ]
    })
    // The registry reads name, help, type and values; `type` is the text it prints.
    const metric: unknown = {
      name,
      help: this.metricHelp,
      type: 'histogram',
      values,
      aggregator: 'sum',
      collect: () => undefined,
    }
    return Promise.resolve(metric as Awaited<ReturnType<Histogram['get']>>)
  }

  /** The registry prints what this gives when a metric has it (prom-client 15). */
  getForPromString(): ReturnType<Histogram['get']> {
    return this.get()
  }
}

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'failed'] as const

export interface ProxyMetricsSource {
  rollout: string
  traffic: TrafficReader
  /** The routing table in force: which backend is which revision, and its role. */
  routes: () => ProxyRoutes
}

export class ProxyMetrics {
  readonly registry = new Registry()
  /** Revisions of backends once routed: a backend keeps its revision label after it stops serving. */
  readonly #revisions = new Map<string, string>()

  constructor(private readonly source: ProxyMetricsSource) {
    const labels = (backend: string): VersionLabels => this.#labels(backend)
    const reader = source.traffic
    new Counter({
      name: 'kanari_proxy_requests_total',
      help: "User requests through Kanari's proxy, by rollout, revision, role (stable, canary, old) and status class (failed: no HTTP answer).",
      labelNames: [...VERSION_LABELS, 'code_class'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const b of reader.backends()) {
          const t = reader.totals(b)
          for (const cls of CLASSES)
            if (t.statusClasses[cls] > 0)
              this.inc({ ...labels(b), code_class: cls }, t.statusClasses[cls])
        }
      },
    })
    this.registry.registerMetric(
      new RecordedHistogram(
        'kanari_proxy_request_duration_seconds',
        'Latency of user requests through the proxy, from the request to the end of the answer.',
        () => reader.backends().map((b) => ({ labels: labels(b), traffic: reader.totals(b) })),
      ),
    )
    new Counter({
      name: 'kanari_proxy_mirror_requests_total',
      help: 'Requests copied to a revision by mirroring (sent), or not copied (dropped: body over 1 MiB, too many in flight).',
      labelNames: [...VERSION_LABELS, 'result'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const b of reader.backends()) {
          const m = reader.mirrors(b)
          if (m.mirrored + m.dropped === 0) continue
          this.inc({ ...labels(b), result: 'sent' }, m.mirrored)
          this.inc({ ...labels(b), result: 'dropped' }, m.dropped)
        }
      },
    })
    new Counter({
      name: 'kanari_proxy_mirror_responses_total',
      help: 'Answers to mirrored requests, by status class: users never see them; analysis counts them.',
      labelNames: [...VERSION_LABELS, 'code_class'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const b of reader.backends()) {
          const t = reader.shadowTotals(b)
          for (const cls of CLASSES)
            if (t.statusClasses[cls] > 0)
              this.inc({ ...labels(b), code_class: cls }, t.statusClasses[cls])
        }
      },
    })
    new Counter({
      name: 'kanari_proxy_answers_total',
      help: "Answers the proxy gave itself (no backend, no ready endpoint, connection refused, client closed): never the app's, never in analysis.",
      labelNames: [...VERSION_LABELS, 'reason'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const b of reader.proxyAnswerBackends()) {
          const counts = reader.proxyAnswers(b)
          for (const reason of PROXY_ANSWER_REASONS)
            if ((counts?.[reason] ?? 0) > 0)
              this.inc({ ...labels(b), reason }, counts?.[reason] ?? 0)
        }
      },
    })
  }

  /** Adds Node's process metrics (memory, CPU, event loop) with their standard names. */
  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry })
    return this
  }

  #labels(backend: string): VersionLabels {
    if (backend === NO_BACKEND) return { rollout: this.source.rollout, revision: '', role: 'none' }
    const routed = this.source.routes().backends.find((b) => b.id === backend)
    if (routed?.revision !== undefined) this.#revisions.set(backend, String(routed.revision))
    return {
      rollout: this.source.rollout,
      revision: this.#revisions.get(backend) ?? '',
      role: routed?.role ?? 'old',
    }
  }

  /** The exposition, in Prometheus' text format. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
