/**
 * Runs `kanari simulate`'s own code (src/simulate) off the page's thread: the real runner, engine and
 * judges against synthetic traffic in virtual time. One request in, one result (or error) out.
 */
import type { RolloutPlan } from '../../src/engine/plan.js'
import { simulate, type SimulationOptions } from '../../src/simulate/simulate.js'

export interface SimulateRequest {
  id: number
  plan: RolloutPlan
  options: SimulationOptions
}

export type SimulateSummary = Omit<Awaited<ReturnType<typeof simulate>>, 'events' | 'status'>

export type SimulateAnswer = { id: number; result: SimulateSummary } | { id: number; error: string }

const scope = self as unknown as Worker

scope.onmessage = (m: MessageEvent<SimulateRequest>) => {
  const { id, plan, options } = m.data
  simulate(plan, options).then(
    ({ events: _events, status: _status, ...result }) =>
      scope.postMessage({ id, result } satisfies SimulateAnswer),
    (err: unknown) =>
      scope.postMessage({
        id,
        error: err instanceof Error ? err.message : String(err),
      } satisfies SimulateAnswer),
  )
}
