/**
 * The rules for one Rollout that a schema cannot say, run strategy by strategy in a fixed order. Each
 * reads only the parts of spec that passed the schema, so one broken part hides no other's problems.
 */
import { ROUTER_CAPABILITIES } from '../../engine/vocabulary.js'
import { DEFAULTS } from '../normalize/defaults.js'
import { RolloutAnalysisSchema, RolloutSpecSchema, StrategySchema } from '../schema.js'
import { checkAdvisor } from './advisor.js'
import { checkRolloutAnalysis, type TemplateIndex } from './analysis.js'
import { checkBlueGreen } from './blue-green.js'
import { checkCanary } from './canary.js'
import type { DocumentProblems } from './document-problems.js'
import { checkNotifications } from './notifications.js'
import { checkProcessEnv } from './process-env.js'
import { checkRolling } from './rolling.js'
import type { RolloutContext } from './rollout-context.js'
import { checkTrafficRouting } from './routing.js'
import { presentKeys, soundSections } from './sound-parts.js'
import { checkWebhooks } from './webhooks.js'

/** `spec` as written: when it is not a mapping, the schema has said so and there is nothing to read. */
export function checkRollout(p: DocumentProblems, spec: unknown, templates: TemplateIndex): void {
  const s = soundSections(RolloutSpecSchema, spec)
  if (s === undefined) return
  const { workload } = s.sound
  if (workload !== undefined) {
    const workloads = presentKeys(RolloutSpecSchema.properties.workload, workload)
    if (workloads.length !== 1)
      p.add(
        ['spec', 'workload'],
        workloads.length === 0
          ? 'needs one of process (local mode), targetRef (Kubernetes) or flag (a feature flag)'
          : `give one of process, targetRef or flag, not ${workloads.join(' and ')}`,
      )
    if (
      workload.flag === undefined &&
      workloads.length === 1 &&
      s.sound.service === undefined &&
      !s.broken.has('service')
    )
      p.add(['spec', 'service'], 'is required for a process or targetRef workload: { port: … }')
  }
  checkProcessEnv(p, spec)
  const strategy = soundSections(StrategySchema, s.part('strategy'))
  if (strategy !== undefined && strategy.given.size !== 1)
    p.add(
      ['spec', 'strategy'],
      strategy.given.size === 0
        ? 'needs one of canary, blueGreen, rolling'
        : `give one strategy, not ${[...strategy.given].join(' and ')}`,
    )

  const router =
    workload === undefined || s.broken.has('trafficRouting')
      ? undefined
      : checkTrafficRouting(p, { ...s.sound, workload })
  const ctx: RolloutContext = {
    replicas: s.broken.has('replicas') ? undefined : (s.sound.replicas ?? DEFAULTS.replicas),
    router: router === undefined ? undefined : { name: router, caps: ROUTER_CAPABILITIES[router] },
    analysisMetrics: checkRolloutAnalysis(p, s.part('analysis'), templates),
    templates,
  }
  if (strategy?.given.has('canary') === true) checkCanary(p, strategy.part('canary'), ctx)
  if (strategy?.given.has('blueGreen') === true) checkBlueGreen(p, strategy.part('blueGreen'), ctx)
  if (strategy?.given.has('rolling') === true) checkRolling(p, strategy.part('rolling'))
  const canary = strategy?.given.has('canary') === true ? strategy.part('canary') : undefined
  checkWebhooks(p, s.part('webhooks'), {
    strategy:
      strategy === undefined || strategy.given.size !== 1
        ? undefined
        : strategy.given.has('canary')
          ? 'canary'
          : strategy.given.has('blueGreen')
            ? 'blueGreen'
            : 'rolling',
    abTesting:
      canary !== null &&
      typeof canary === 'object' &&
      (canary as Record<string, unknown>).iterations !== undefined,
  })
  checkNotifications(p, s.part('notifications'))
  checkAdvisor(
    p,
    soundSections(RolloutAnalysisSchema, s.part('analysis'))?.part('advisor'),
    strategy?.given.size === 1 ? [...strategy.given][0] : undefined,
  )
}
