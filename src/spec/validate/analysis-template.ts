/** The rules for one AnalysisTemplate that a schema cannot say: its metrics, and the args they use. */
import { AnalysisTemplateSpecSchema, MetricSchema } from '../schema.js'
import type { DocumentProblems } from './document-problems.js'
import { checkMetrics } from './metrics.js'
import { soundItems, soundSections } from './sound-parts.js'

/** `spec` as written: each metric is read once it passes the schema, `{{args.x}}` once the args do. */
export function checkAnalysisTemplate(p: DocumentProblems, spec: unknown): void {
  const s = soundSections(AnalysisTemplateSpecSchema, spec)
  if (s === undefined) return
  const metrics = soundItems(MetricSchema, s.part('metrics'))
  if (metrics === undefined) return
  const args = s.broken.has('args') ? undefined : (s.sound.args ?? [])
  checkMetrics(p, ['spec', 'metrics'], metrics, args && new Map(args.map((a) => [a.name, a.value])))
}
