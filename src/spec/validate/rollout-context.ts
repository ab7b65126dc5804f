/** What the strategy checks need to know about the rest of the Rollout being validated. */
import type { RouterCapabilities, RouterName } from '../../engine/vocabulary.js'
import type { RolloutSpec } from '../schema.js'
import type { TemplateIndex } from './analysis.js'

export interface RolloutContext {
  spec: RolloutSpec
  router: RouterName
  caps: RouterCapabilities
  /** Metrics the rollout analyses by itself (spec.analysis), used by analyses that name none. */
  analysisMetrics: number
  templates: TemplateIndex
}
