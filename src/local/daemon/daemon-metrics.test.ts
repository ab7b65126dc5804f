import { describe, expect, it } from 'vitest'
import { World } from '../../controller/test-utils/world.js'
import { analysisPlan, canaryPlan, errorRateMetric } from '../../engine/test-utils/plans.js'
import { DaemonMetrics } from './daemon-metrics.js'

async function counted(metrics: DaemonMetrics, name: string): Promise<Record<string, number>> {
  const metric = metrics.registry.getSingleMetric(name)
  if (metric === undefined) throw new Error(`no metric ${name}`)
  const out: Record<string, number> = {}
  for (const v of (await metric.get()).values) {
    const key = Object.values(v.labels).join('/')
    out[key] = (out[key] ?? 0) + v.value
  }
  return out
}

describe("the daemon's analysis counters", () => {
  it('count every measurement folded in, also of a run replaced by the next one in the tick it ended', async () => {
    // Two analysis steps in a row: the first run ends and the second starts in the same tick.
    const step = analysisPlan({ metrics: [errorRateMetric({ intervalSeconds: 2, count: 3 })] })
    const plan = canaryPlan([
      { kind: 'setWeight', weight: 10 },
      { kind: 'analysis', analysis: step },
      { kind: 'analysis', analysis: step },
      { kind: 'setWeight', weight: 50 },
    ])
    let answered = 0
    const world = new World(plan, () => {
      answered++
      return { value: 0 }
    })
    await world.tick()
    await world.runUntil((s) => s.phase === 'Healthy')
    world.release(2)
    await world.runUntil((s) => s.phase === 'Healthy' && s.stableRevision === 2, 600)
    expect(world.events('AnalysisSuccessful')).toHaveLength(2)

    const metrics = new DaemonMetrics(() => [])
    for (const { before, report } of world.reports)
      metrics.observeTick('checkout', before, report.status, report.events, 0.001)
    // Both runs' three measurements, each a pass.
    expect(answered).toBe(6)
    expect(await counted(metrics, 'kanari_analysis_measurements_total')).toEqual({
      'checkout/error-rate/Successful': 6,
    })
    expect(await counted(metrics, 'kanari_analysis_runs_total')).toEqual({
      'checkout/step/Successful': 2,
    })
  })
})
