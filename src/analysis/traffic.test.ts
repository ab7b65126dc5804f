import { describe, expect, it } from 'vitest'
import { judgeMeasurement } from './measurement.js'
import {
  addVersionTraffic,
  emptyVersionTraffic,
  latencyQuantile,
  quantileSource,
  recordRequest,
  type VersionTraffic,
} from './traffic.js'
import type { MetricPlan } from './types.js'

function measured(latencies: number[]): VersionTraffic {
  const t = emptyVersionTraffic()
  for (const ms of latencies) recordRequest(t, 200, ms)
  return t
}

/** What traffic read from Prometheus looks like: buckets, no sketch. */
function bucketsOnly(latencies: number[]): VersionTraffic {
  const t = measured(latencies)
  delete t.latencySketch
  return t
}

const p99: MetricPlan = {
  name: 'latency-p99',
  provider: { kind: 'builtin', metric: 'latency-p99' },
  intervalSeconds: 1,
  initialDelaySeconds: 0,
  consecutiveErrorLimit: 4,
  errorGraceSeconds: 60,
  failureLimit: 0,
  inconclusiveLimit: 0,
  thresholdRange: { max: 350 },
}

describe('traffic latency', () => {
  it('reads a 311 ms latency as 311 ms, where the buckets said the top of 300–400', () => {
    const t = measured(new Array<number>(200).fill(311))
    expect(Math.abs(latencyQuantile(t, 0.99) - 311) / 311).toBeLessThanOrEqual(0.005)
    expect(latencyQuantile(bucketsOnly(new Array<number>(200).fill(311)), 0.99)).toBeGreaterThan(
      390,
    )
  })

  it('keeps a sketch only while it holds every request counted', () => {
    const a = addVersionTraffic(measured([10, 20]), measured([30]))
    expect(a.latencySketch?.count).toBe(3)
    const mixed = addVersionTraffic(measured([10]), bucketsOnly([500]))
    expect(quantileSource(mixed)).toBe('interpolated')
    const adopted = addVersionTraffic(bucketsOnly([]), measured([40]))
    expect(adopted.latencySketch?.count).toBe(1)
    // An empty side with nothing counted takes nothing away.
    expect(addVersionTraffic(measured([40]), bucketsOnly([])).latencySketch?.count).toBe(1)
  })

  it('says a quantile read from buckets was interpolated, and one from the sketch was not', () => {
    const sample = (canary: VersionTraffic) => ({
      metric: 'latency-p99',
      at: 1,
      value: latencyQuantile(canary, 0.99),
      traffic: { from: 0, to: 1, canary, stable: emptyVersionTraffic() },
    })
    const fromBuckets = judgeMeasurement(p99, sample(bucketsOnly([311, 312])))
    expect(fromBuckets.message).toMatch(
      /latency-p99 \d+ ms \(interpolated from histogram buckets\)/,
    )
    const fromSketch = judgeMeasurement(p99, sample(measured([311, 312])))
    expect(fromSketch).toEqual({
      phase: 'Successful',
      message: 'latency-p99 310 ms <= max 350 ms (2 canary requests)',
    })
    const promql: MetricPlan = {
      ...p99,
      provider: {
        kind: 'prometheus',
        address: 'http://127.0.0.1:9090',
        query: 'histogram_quantile(0.99, sum by (le) (rate(x_bucket[1m])))',
        headers: {},
      },
    }
    expect(judgeMeasurement(promql, { metric: 'p', at: 1, value: 360 }).message).toBe(
      'latency-p99 360 (interpolated by histogram_quantile from Prometheus buckets) > max 350',
    )
  })
})
