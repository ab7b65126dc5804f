/** The rules for one Rollout that a schema cannot say, run strategy by strategy in a fixed order. */
import { ROUTER_CAPABILITIES } from '../../engine/vocabulary.js'
import type { Rollout } from '../schema.js'
import { checkRolloutAnalysis, type TemplateIndex } from './analysis.js'
import { checkBlueGreen } from './blue-green.js'
import { checkCanary } from './canary.js'
import type { DocumentProblems } from './document-problems.js'
import { checkProcessEnv } from './process-env.js'
import { checkRolling } from './rolling.js'
import type { RolloutContext } from './rollout-context.js'
import { checkTrafficRouting } from './routing.js'
import { checkWebhooks } from './webhooks.js'

export function checkRollout(p: DocumentProblems, r: Rollout, templates: TemplateIndex): void {
  const spec = r.spec
  const workloads = presentKeys(spec.workload)
  if (workloads.length !== 1)
    p.add(
      ['spec', 'workload'],
      workloads.length === 0
        ? 'needs one of process (local mode) or targetRef (Kubernetes)'
        : `give one of process or targetRef, not ${workloads.join(' and ')}`,
    )
  checkProcessEnv(p, r)
  const strategies = presentKeys(spec.strategy)
  if (strategies.length !== 1)
    p.add(
      ['spec', 'strategy'],
      strategies.length === 0
        ? 'needs one of canary, blueGreen, rolling'
        : `give one strategy, not ${strategies.join(' and ')}`,
    )

  const router = checkTrafficRouting(p, spec)
  const analysisMetrics = checkRolloutAnalysis(p, spec, templates)
  const ctx: RolloutContext = {
    spec,
    router,
    caps: ROUTER_CAPABILITIES[router],
    analysisMetrics,
    templates,
  }
  const { canary, blueGreen, rolling } = spec.strategy
  if (canary !== undefined) checkCanary(p, canary, ctx)
  if (blueGreen !== undefined) checkBlueGreen(p, blueGreen, ctx)
  if (rolling !== undefined) checkRolling(p, rolling)
  checkWebhooks(p, spec.webhooks)
}

/** The keys of `o` that are set. */
function presentKeys(o: object): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [k]))
}
