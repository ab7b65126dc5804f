/**
 * Prometheus text exposition (format 0.0.4) of the proxies' counters: requests by status class and
 * a latency histogram per service and backend, so a real Prometheus can scrape the daemon.
 */
import { LATENCY_BUCKETS_MS } from '../../analysis/traffic.js'
import type { TrafficReader } from './traffic-reader.js'
import { NO_BACKEND, PROXY_ANSWER_REASONS } from './traffic-recorder.js'

export interface ExposedService {
  name: string
  recorder: TrafficReader
  roleOf: (backend: string) => string
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l)
    .map(
      ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',')}}`
}

export function renderPrometheus(services: ExposedService[]): string {
  const requests: string[] = []
  const duration: string[] = []
  const mirrors: string[] = []
  const shadowAnswers: string[] = []
  const proxyAnswers: string[] = []
  for (const svc of services) {
    for (const backend of svc.recorder.proxyAnswerBackends()) {
      const counts = svc.recorder.proxyAnswers(backend)
      const role = backend === NO_BACKEND ? 'none' : svc.roleOf(backend)
      for (const reason of PROXY_ANSWER_REASONS)
        proxyAnswers.push(
          `kanari_proxy_answers_total${labels({ service: svc.name, backend, role, reason })} ${counts?.[reason] ?? 0}`,
        )
    }
    for (const backend of svc.recorder.backends()) {
      const base = { service: svc.name, backend, role: svc.roleOf(backend) }
      const t = svc.recorder.totals(backend)
      for (const [cls, n] of Object.entries(t.statusClasses))
        requests.push(`kanari_requests_total${labels({ ...base, code_class: cls })} ${n}`)
      let cumulative = 0
      LATENCY_BUCKETS_MS.forEach((le, i) => {
        cumulative += t.latencyBuckets[i] ?? 0
        duration.push(
          `kanari_request_duration_seconds_bucket${labels({ ...base, le: String(le / 1000) })} ${cumulative}`,
        )
      })
      cumulative += t.latencyBuckets[LATENCY_BUCKETS_MS.length] ?? 0
      duration.push(
        `kanari_request_duration_seconds_bucket${labels({ ...base, le: '+Inf' })} ${cumulative}`,
      )
      duration.push(`kanari_request_duration_seconds_sum${labels(base)} ${t.latencySumMs / 1000}`)
      duration.push(`kanari_request_duration_seconds_count${labels(base)} ${t.requests}`)
      const m = svc.recorder.mirrors(backend)
      if (m.mirrored + m.dropped > 0) {
        mirrors.push(
          `kanari_mirror_requests_total${labels({ ...base, result: 'sent' })} ${m.mirrored}`,
        )
        mirrors.push(
          `kanari_mirror_requests_total${labels({ ...base, result: 'dropped' })} ${m.dropped}`,
        )
        const shadow = svc.recorder.shadowTotals(backend)
        for (const [cls, n] of Object.entries(shadow.statusClasses))
          shadowAnswers.push(
            `kanari_mirror_responses_total${labels({ ...base, code_class: cls })} ${n}`,
          )
      }
    }
  }
  return [
    "# HELP kanari_requests_total User requests through Kanari's proxy, by service, backend (revision) and status class.",
    '# TYPE kanari_requests_total counter',
    ...requests,
    '# HELP kanari_request_duration_seconds Latency of user requests through the proxy.',
    '# TYPE kanari_request_duration_seconds histogram',
    ...duration,
    '# HELP kanari_mirror_requests_total Requests copied to a backend by mirroring (responses discarded).',
    '# TYPE kanari_mirror_requests_total counter',
    ...mirrors,
    '# HELP kanari_mirror_responses_total Answers to mirrored requests, by status class (users never see them; analysis counts them).',
    '# TYPE kanari_mirror_responses_total counter',
    ...shadowAnswers,
    "# HELP kanari_proxy_answers_total Answers the proxy gave itself (no backend, no ready endpoint, connection refused, client closed): never the app's, never in analysis.",
    '# TYPE kanari_proxy_answers_total counter',
    ...proxyAnswers,
    '',
  ].join('\n')
}
