/** Simulate's metric provider against the MetricProvider contract, over synthetic seconds. */
import { describe, expect, it } from 'vitest'
import type { MetricProviderPlan } from '../analysis/types.js'
import { emptyVersionTraffic, recordRequest } from '../analysis/traffic.js'
import { errorRateMetric } from '../engine/test-utils/plans.js'
import { Tick } from '../engine/tick.js'
import { runMetricProviderContract } from '../controller/test-utils/metric-provider-contract.js'
import { ModelMetricProvider, TrafficLog } from './model-metrics.js'

const T0 = 1_700_000_000_000

runMetricProviderContract('simulate model', () => {
  const log = new TrafficLog()
  const provider = new ModelMetricProvider(log)
  return Promise.resolve({
    provider,
    arrange(scenario) {
      const metric =
        scenario === 'failure'
          ? errorRateMetric({
              provider: {
                kind: 'prometheus',
                address: 'http://127.0.0.1:1',
                query: 'up',
                headers: {},
              },
            })
          : errorRateMetric()
      if (scenario === 'data') {
        for (let s = 0; s < 10; s++) {
          const canary = emptyVersionTraffic()
          const stable = emptyVersionTraffic()
          for (let i = 0; i < 20; i++) recordRequest(canary, 200, 40)
          for (let i = 0; i < 80; i++) recordRequest(stable, 200, 40)
          log.record(T0 + s * 1000, {
            canary,
            stable,
            canaryFailed: 0,
            mirrored: 0,
            canaryShadow: emptyVersionTraffic(),
          })
        }
      }
      return Promise.resolve({
        metric,
        request: {
          runId: 'contract',
          metric: metric.name,
          provider: metric.provider,
          from: T0,
          to: T0 + 10_000,
        },
        context: { traffic: Tick.stableOnly(1, 2), now: T0 + 10_000 },
      })
    },
    close: () => Promise.resolve(),
  })
})

describe('simulated latency', () => {
  it('reads builtin quantiles from the sketch, and Prometheus ones as interpolated buckets', async () => {
    const log = new TrafficLog()
    const canary = emptyVersionTraffic()
    for (let i = 0; i < 100; i++) recordRequest(canary, 200, 311)
    log.record(T0, {
      canary,
      stable: emptyVersionTraffic(),
      canaryFailed: 0,
      mirrored: 0,
      canaryShadow: emptyVersionTraffic(),
    })
    const provider = new ModelMetricProvider(log, 1)
    const measure = (p: MetricProviderPlan) =>
      provider.measure({
        runId: 'r',
        metric: 'latency-p99',
        provider: p,
        from: T0,
        to: T0 + 1000,
      })
    const builtin = await measure({ kind: 'builtin', metric: 'latency-p99' })
    expect(Math.abs(Number(builtin.value) - 311) / 311).toBeLessThanOrEqual(0.005)
    const promTraffic = await measure({
      kind: 'prometheus',
      address: 'http://127.0.0.1:1',
      headers: {},
      traffic: {
        metric: 'latency-p99',
        selectors: { canary: 'a="c"', stable: 'a="s"' },
        requests: 'x',
        errors: 'y',
        latencyBuckets: 'z',
        latencyUnit: 'seconds',
      },
    })
    expect(promTraffic.traffic?.canary.latencySketch).toBeUndefined()
    // Interpolated inside the 300–400 ms bucket, as a real Prometheus provider would read it.
    expect(Number(promTraffic.value)).toBeGreaterThan(390)
  })
})
