/** Simulate's metric provider against the MetricProvider contract, over synthetic seconds. */
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
