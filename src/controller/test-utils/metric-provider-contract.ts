/**
 * The contract every `MetricProvider` passes: data gives a number the judges can pass; no data, NaN
 * and failures come back as measurements (never thrown) that no judge ever counts as a pass.
 */
import { describe, expect, it } from 'vitest'
import { recordMeasurements, startAnalysisRun } from '../../analysis/run.js'
import type { Measurement, MeasurementRequest, MetricPlan } from '../../analysis/types.js'
import { analysisPlan } from '../../engine/test-utils/plans.js'
import type { MeasureContext, MetricProvider } from '../ports.js'

/** What the next measurement should see. */
export type ProviderScenario = 'data' | 'no-data' | 'nan' | 'failure'

export interface ProviderFixture {
  provider: MetricProvider
  /**
   * Arranges the world (traffic, a server's answer, a stopped dependency…) so that measuring the
   * returned request sees `scenario`. Data must be healthy: within `metric`'s thresholds.
   */
  arrange(
    scenario: ProviderScenario,
  ): Promise<{ request: MeasurementRequest; context: MeasureContext; metric: MetricPlan }>
  close(): Promise<void>
}

/** The run's phase after this one measurement, under each judge that takes a single value. */
function judged(metric: MetricPlan, measurement: Measurement, now: number): string[] {
  return (['limit', 'threshold'] as const).map((judge) => {
    const plan = analysisPlan({ judge, metrics: [{ ...metric, count: 1 }], threshold: 1 })
    const run = startAnalysisRun(plan, 'contract', measurement.at - 1)
    return recordMeasurements(plan, run, [measurement], now).phase
  })
}

export function runMetricProviderContract(
  name: string,
  newProvider: () => Promise<ProviderFixture>,
): void {
  describe(`MetricProvider contract: ${name}`, () => {
    const measured = async (
      scenario: ProviderScenario,
    ): Promise<{
      m: Measurement
      metric: MetricPlan
      now: number
      request: MeasurementRequest
    }> => {
      const fixture = await newProvider()
      try {
        const { request, context, metric } = await fixture.arrange(scenario)
        const m = await fixture.provider.measure(request, context)
        return { m, metric, now: context.now, request }
      } finally {
        await fixture.close()
      }
    }

    it('answers data with a number, for the metric asked, that the judges can pass', async () => {
      const { m, metric, now, request } = await measured('data')
      expect(m.metric).toBe(request.metric)
      expect(m.error).toBeUndefined()
      expect(typeof m.value).toBe('number')
      expect(Number.isFinite(m.value)).toBe(true)
      expect(judged(metric, m, now)).toEqual(['Successful', 'Successful'])
    })

    for (const scenario of ['no-data', 'nan', 'failure'] as const) {
      it(`answers ${scenario} with a measurement that is never a pass`, async () => {
        const { m, metric, now, request } = await measured(scenario)
        expect(m.metric).toBe(request.metric)
        const value = m.value
        const noValue =
          value === undefined ||
          value === null ||
          (typeof value === 'number' && Number.isNaN(value))
        if (scenario === 'failure') expect(m.error).toMatch(/\S/)
        else expect(noValue || m.error !== undefined).toBe(true)
        for (const phase of judged(metric, m, now)) expect(phase).not.toBe('Successful')
      })
    }
  })
}
