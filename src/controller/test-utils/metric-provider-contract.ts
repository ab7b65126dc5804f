/**
 * The contract every `MetricProvider` passes: data gives a number the judges can pass; no data, NaN
 * and failures come back as measurements (never thrown) that no judge ever counts as a pass. A
 * provider that talks to a server also arranges a timeout, a malformed answer and several values
 * where one was wanted: each is an error that says what happened, never a value.
 */
import { describe, expect, it } from 'vitest'
import { judgeMeasurement } from '../../analysis/measurement.js'
import { recordMeasurements, startAnalysisRun } from '../../analysis/run.js'
import type { Measurement, MeasurementRequest, MetricPlan } from '../../analysis/types.js'
import { analysisPlan } from '../../engine/test-utils/plans.js'
import type { MeasureContext, MetricProvider } from '../ports.js'

/**
 * What the next measurement should see: data; an empty result; NaN; a failure (the server or process
 * it reads is down); no answer in time; an answer that is not the expected format; several values
 * (a vector) where one was wanted.
 */
export type ProviderScenario =
  'data' | 'no-data' | 'nan' | 'failure' | 'timeout' | 'malformed' | 'vector'

/** Every provider arranges these. */
export const BASIC_SCENARIOS = ['data', 'no-data', 'nan', 'failure'] as const
/** What a clear error for each failing scenario speaks of. */
const SAYS: Partial<Record<ProviderScenario, RegExp>> = {
  timeout: /within|timed? ?out|killed/i,
  malformed:
    /not (a |its |valid )?(number|json|api|prometheus)|malformed|not .*format|not one number/i,
  vector: /series|values|numbers|matched \d|where one/i,
}

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
  return (['limit', 'threshold', 'sequential'] as const).map((judge) => {
    const plan = analysisPlan({ judge, metrics: [{ ...metric, count: 1 }], threshold: 1 })
    const run = startAnalysisRun(plan, 'contract', measurement.at - 1)
    return recordMeasurements(plan, run, [measurement], now).phase
  })
}

/** The scenarios a provider that reads a server or runs a process must meet as well. */
export const SERVER_SCENARIOS = ['timeout', 'malformed', 'vector'] as const

/**
 * `more`: the SERVER_SCENARIOS this provider meets; builtin and model providers read memory, where
 * nothing can time out or come back garbled.
 */
export function runMetricProviderContract(
  name: string,
  newProvider: () => Promise<ProviderFixture>,
  more: readonly (typeof SERVER_SCENARIOS)[number][] = [],
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
      expect(judged(metric, m, now).slice(0, 2)).toEqual(['Successful', 'Successful'])
      expect(judgeMeasurement(metric, m).phase).toBe('Successful')
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
        const verdict = judgeMeasurement(metric, m)
        expect(['Error', 'NoData', 'Inconclusive']).toContain(verdict.phase)
      })
    }

    for (const scenario of more) {
      it(`answers ${scenario} with an error that says so, never a value`, async () => {
        const { m, metric, now, request } = await measured(scenario)
        expect(m.metric).toBe(request.metric)
        expect(
          m.error,
          `a ${scenario} must be an error, got value ${String(m.value)}`,
        ).toBeDefined()
        expect(m.error).toMatch(SAYS[scenario] ?? /./)
        expect(m.error).not.toMatch(/undefined|\[object /)
        expect(m.value ?? null).toBeNull()
        expect(judgeMeasurement(metric, m).phase).toBe('Error')
        for (const phase of judged(metric, m, now)) expect(phase).not.toBe('Successful')
      })
    }
  })
}
