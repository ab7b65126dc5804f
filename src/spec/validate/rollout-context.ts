/**
 * What the strategy checks need to know about the rest of the Rollout being validated. What cannot be
 * known, because its part failed the schema (and was reported), is undefined: the checks skip it.
 */
import type { RouterCapabilities, RouterName } from '../../engine/vocabulary.js'
import type { TemplateIndex } from './analysis.js'

export interface RolloutContext {
  /** spec.replicas, defaulted. */
  replicas: number | undefined
  /** The router the rollout will use and what it can do. */
  router: { name: RouterName; caps: RouterCapabilities } | undefined
  /** Metrics the rollout analyses by itself (spec.analysis), used by analyses that name none. */
  analysisMetrics: number | undefined
  templates: TemplateIndex
}
