/**
 * Metrics for the suite's analyses: KWOK pods serve nothing, so the requests a mesh would count are
 * counted by an exporter on 127.0.0.1 that the test drives — Istio's `istio_requests_total` per
 * destination workload, answering 200 or 500 on demand — and a real Prometheus (Debian's) scrapes
 * it every second. Bounded: a fixed number of counts per tick, stopped with the file's tests.
 */
import type { Counter } from 'prom-client'
import { startExporter, type TestExporter } from '../../support/exporter.js'
import { startPrometheus, type TestPrometheus } from '../../support/prometheus.js'

export interface IstioTraffic {
  prometheus: TestPrometheus
  /** Workloads counted now, each healthy (200s) or failing (a share of 500s). */
  serve(namespace: string, workload: string, health: 'healthy' | 'failing'): void
  stop(): Promise<void>
}

/** The canary's error ratio over the last 10 s, as Flagger's Istio metric template writes it. */
export const ERROR_RATIO_QUERY =
  'sum(rate(istio_requests_total{reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload="{{ target }}", response_code=~"5.."}[10s])) / sum(rate(istio_requests_total{reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload="{{ target }}"}[10s]))'

export async function startIstioTraffic(): Promise<IstioTraffic> {
  const exporter: TestExporter = await startExporter()
  const requests: Counter = exporter.counter('istio_requests_total', [
    'reporter',
    'destination_workload',
    'destination_workload_namespace',
    'response_code',
  ])
  const served = new Map<string, { namespace: string; workload: string; failing: boolean }>()
  const timer = setInterval(() => {
    for (const s of served.values()) {
      const labels = {
        reporter: 'destination',
        destination_workload: s.workload,
        destination_workload_namespace: s.namespace,
      }
      requests.inc({ ...labels, response_code: '200' }, s.failing ? 6 : 10)
      if (s.failing) requests.inc({ ...labels, response_code: '500' }, 4)
    }
  }, 200)
  const prometheus = await startPrometheus({ jobs: [{ job: 'mesh', targets: [exporter.target] }] })
  return {
    prometheus,
    serve(namespace, workload, health) {
      served.set(`${namespace}/${workload}`, { namespace, workload, failing: health === 'failing' })
    },
    async stop() {
      clearInterval(timer)
      await prometheus.stop()
      await exporter.close()
    },
  }
}

/** A limit-judge metric on the error ratio: three measurements 2 s apart, none may fail. */
export function errorRatioMetric(prometheusUrl: string): Record<string, unknown> {
  return {
    name: 'error-ratio',
    interval: '2s',
    count: 3,
    failureLimit: 0,
    inconclusiveLimit: 2,
    successCondition: 'result < 0.05',
    provider: { prometheus: { address: prometheusUrl, query: ERROR_RATIO_QUERY } },
  }
}
