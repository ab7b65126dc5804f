/** The blue-green strategy: promotion analyses that have metrics, and a preview the router can serve. */
import { BlueGreenSchema } from '../schema.js'
import { checkAnalysisRef } from './analysis.js'
import type { DocumentProblems } from './document-problems.js'
import type { RolloutContext } from './rollout-context.js'
import { cannotMirror } from './routing.js'
import { soundSections } from './sound-parts.js'

/** `blueGreen` as written; each field is read once it passes the schema. */
export function checkBlueGreen(p: DocumentProblems, blueGreen: unknown, ctx: RolloutContext): void {
  const bg = soundSections(BlueGreenSchema, blueGreen)
  if (bg === undefined) return
  const at = ['spec', 'strategy', 'blueGreen']
  for (const key of ['prePromotionAnalysis', 'postPromotionAnalysis'] as const) {
    if (!bg.given.has(key)) continue
    const metrics = checkAnalysisRef(p, [...at, key], bg.part(key), ctx.templates)
    if (metrics === 0 && ctx.analysisMetrics === 0)
      p.add(
        [...at, key],
        'has no metrics: name templates, give metrics, or add spec.analysis.metrics',
      )
  }
  const post = bg.sound.postPromotionAnalysis
  if (post?.onFailure === 'freeze')
    p.add(
      [...at, 'postPromotionAnalysis', 'onFailure'],
      'cannot be freeze: after the switch a failed post-promotion analysis always switches back; freeze the prePromotionAnalysis instead',
    )
  const { previewMirrorPercentage, previewReplicaCount } = bg.sound
  if (
    previewMirrorPercentage !== undefined &&
    previewMirrorPercentage > 0 &&
    ctx.router?.caps.mirror === false
  )
    p.add([...at, 'previewMirrorPercentage'], cannotMirror(ctx.router.name))
  if (
    previewReplicaCount !== undefined &&
    ctx.replicas !== undefined &&
    previewReplicaCount > ctx.replicas
  )
    p.add([...at, 'previewReplicaCount'], `is above spec.replicas (${ctx.replicas})`)
}
