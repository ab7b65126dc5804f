/**
 * What views and `/metrics` read of a proxy's counters, and a snapshot of them that crosses a process
 * boundary as JSON: the proxy runs in its own process, the daemon shows what it last heard.
 */
import { emptyVersionTraffic, type VersionTraffic } from '../../analysis/traffic.js'
import type { ProxyAnswerReason } from './traffic-recorder.js'

export interface TrafficReader {
  backends(): string[]
  totals(backend: string): VersionTraffic
  shadowTotals(backend: string): VersionTraffic
  mirrors(backend: string): { mirrored: number; dropped: number }
  proxyAnswerBackends(): string[]
  proxyAnswers(backend: string): Readonly<Record<ProxyAnswerReason, number>> | undefined
}

/** Lifetime counters of every backend, as JSON. */
export interface TrafficTotals {
  backends: Record<
    string,
    { totals: VersionTraffic; shadow: VersionTraffic; mirrored: number; dropped: number }
  >
  proxyAnswers: Record<string, Record<ProxyAnswerReason, number>>
}

export function totalsOf(reader: TrafficReader): TrafficTotals {
  const out: TrafficTotals = { backends: {}, proxyAnswers: {} }
  for (const b of reader.backends()) {
    const m = reader.mirrors(b)
    out.backends[b] = {
      totals: reader.totals(b),
      shadow: reader.shadowTotals(b),
      mirrored: m.mirrored,
      dropped: m.dropped,
    }
  }
  for (const b of reader.proxyAnswerBackends()) {
    const counts = reader.proxyAnswers(b)
    if (counts !== undefined) out.proxyAnswers[b] = { ...counts }
  }
  return out
}

/** Counters as last read from a proxy process. */
export class TrafficSnapshot implements TrafficReader {
  constructor(readonly data: TrafficTotals = { backends: {}, proxyAnswers: {} }) {}

  backends(): string[] {
    return Object.keys(this.data.backends)
  }

  totals(backend: string): VersionTraffic {
    return this.data.backends[backend]?.totals ?? emptyVersionTraffic()
  }

  shadowTotals(backend: string): VersionTraffic {
    return this.data.backends[backend]?.shadow ?? emptyVersionTraffic()
  }

  mirrors(backend: string): { mirrored: number; dropped: number } {
    const b = this.data.backends[backend]
    return { mirrored: b?.mirrored ?? 0, dropped: b?.dropped ?? 0 }
  }

  proxyAnswerBackends(): string[] {
    return Object.keys(this.data.proxyAnswers)
  }

  proxyAnswers(backend: string): Readonly<Record<ProxyAnswerReason, number>> | undefined {
    return this.data.proxyAnswers[backend]
  }
}
