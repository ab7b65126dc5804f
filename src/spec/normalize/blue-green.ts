/**
 * The blue-green strategy as a plan. It never has a background analysis: the rollout's own metrics
 * become the pre-promotion analysis when neither a pre- nor a post-promotion analysis is given.
 */
import type { BlueGreenPlan } from '../../engine/plan.js'
import type { RolloutSpec } from '../schema.js'
import { analysisPlan, type Shared } from './analysis.js'
import { DEFAULTS } from './defaults.js'

type BlueGreenSpec = NonNullable<RolloutSpec['strategy']['blueGreen']>

export function normalizeBlueGreen(bg: BlueGreenSpec, shared: Shared): BlueGreenPlan {
  const pre =
    bg.prePromotionAnalysis ??
    (bg.postPromotionAnalysis === undefined && shared.rolloutMetrics.length > 0 ? {} : undefined)
  return {
    kind: 'blueGreen',
    autoPromotionEnabled: bg.autoPromotionEnabled ?? true,
    scaleDownDelaySeconds: bg.scaleDownDelaySeconds ?? DEFAULTS.scaleDownDelaySeconds,
    ...(bg.autoPromotionSeconds === undefined
      ? {}
      : { autoPromotionSeconds: bg.autoPromotionSeconds }),
    ...(pre === undefined
      ? {}
      : { prePromotionAnalysis: analysisPlan('prePromotion', pre, shared, undefined) }),
    ...(bg.postPromotionAnalysis === undefined
      ? {}
      : {
          postPromotionAnalysis: analysisPlan(
            'postPromotion',
            bg.postPromotionAnalysis,
            shared,
            undefined,
          ),
        }),
    ...(bg.previewReplicaCount === undefined
      ? {}
      : { previewReplicaCount: bg.previewReplicaCount }),
    ...(bg.previewMirrorPercentage === undefined
      ? {}
      : { previewMirrorPercentage: bg.previewMirrorPercentage }),
  }
}
