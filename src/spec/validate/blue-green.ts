/** The blue-green strategy: promotion analyses that have metrics, and a preview the router can serve. */
import type { RolloutSpec } from '../schema.js'
import { checkAnalysisRef } from './analysis.js'
import type { DocumentProblems } from './document-problems.js'
import type { RolloutContext } from './rollout-context.js'

type BlueGreenSpec = NonNullable<RolloutSpec['strategy']['blueGreen']>

export function checkBlueGreen(p: DocumentProblems, bg: BlueGreenSpec, ctx: RolloutContext): void {
  const at = ['spec', 'strategy', 'blueGreen']
  if (
    bg.prePromotionAnalysis !== undefined &&
    checkAnalysisRef(p, [...at, 'prePromotionAnalysis'], bg.prePromotionAnalysis, ctx.templates) +
      ctx.analysisMetrics ===
      0
  )
    p.add([...at, 'prePromotionAnalysis'], 'has no metrics')
  if (
    bg.postPromotionAnalysis !== undefined &&
    checkAnalysisRef(p, [...at, 'postPromotionAnalysis'], bg.postPromotionAnalysis, ctx.templates) +
      ctx.analysisMetrics ===
      0
  )
    p.add([...at, 'postPromotionAnalysis'], 'has no metrics')
  if (
    bg.previewMirrorPercentage !== undefined &&
    bg.previewMirrorPercentage > 0 &&
    !ctx.caps.mirror
  )
    p.add([...at, 'previewMirrorPercentage'], `the ${ctx.router} router cannot mirror traffic`)
  if (bg.previewReplicaCount !== undefined && bg.previewReplicaCount > (ctx.spec.replicas ?? 1))
    p.add([...at, 'previewReplicaCount'], `is above spec.replicas (${ctx.spec.replicas ?? 1})`)
}
