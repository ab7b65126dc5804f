/**
 * Analysis references (a rollout's spec.analysis, a canary analysis step, blue-green's pre/post
 * promotion): their metrics, the AnalysisTemplates they name, and the args those templates need.
 */
import type { AnalysisRefSpec, AnalysisTemplate, RolloutSpec } from '../schema.js'
import type { DocumentProblems, Path } from './document-problems.js'
import { checkDuration } from './durations.js'
import { checkMetrics } from './metrics.js'

/** The AnalysisTemplates of the set being validated. */
export interface TemplateIndex {
  get(name: string): AnalysisTemplate | undefined
  names(): string[]
}

/** Checks one reference; returns how many metrics it brings (its own and its templates'). */
export function checkAnalysisRef(
  p: DocumentProblems,
  path: Path,
  ref: AnalysisRefSpec,
  templates: TemplateIndex,
  rolloutArgs: { name: string; value?: string }[] = [],
): number {
  let metrics = ref.metrics?.length ?? 0
  checkMetrics(p, [...path, 'metrics'], ref.metrics)
  checkDuration(p, [...path, 'duration'], ref.duration)
  const given = new Map([...rolloutArgs, ...(ref.args ?? [])].map((a) => [a.name, a.value]))
  ;(ref.templates ?? []).forEach((t, i) => {
    const template = templates.get(t.templateName)
    if (template === undefined) {
      const known = templates.names()
      p.add(
        [...path, 'templates', i, 'templateName'],
        `no AnalysisTemplate named "${t.templateName}" in the files given${known.length === 0 ? '' : ` (known: ${known.join(', ')})`}; pass its file with another -f`,
      )
      return
    }
    metrics += template.spec.metrics.length
    for (const arg of template.spec.args ?? []) {
      if (arg.value === undefined && given.get(arg.name) === undefined) {
        p.add(
          [...path, 'templates', i],
          `template "${t.templateName}" needs arg "${arg.name}": add args: [{ name: ${arg.name}, value: … }]`,
        )
      }
    }
  })
  return metrics
}

/**
 * Checks `spec.analysis`; returns how many metrics the rollout analyses by itself, which the
 * strategies' analyses fall back on when they name none.
 */
export function checkRolloutAnalysis(
  p: DocumentProblems,
  spec: RolloutSpec,
  templates: TemplateIndex,
): number {
  const rolloutMetrics = spec.analysis?.metrics?.length ?? 0
  const analysis = spec.analysis
  if (analysis !== undefined) {
    checkDuration(p, ['spec', 'analysis', 'interval'], analysis.interval)
    checkMetrics(p, ['spec', 'analysis', 'metrics'], analysis.metrics)
  }
  return analysis === undefined
    ? 0
    : rolloutMetrics +
        checkAnalysisRef(
          p,
          ['spec', 'analysis'],
          {
            ...(analysis.templates === undefined ? {} : { templates: analysis.templates }),
            ...(analysis.args === undefined ? {} : { args: analysis.args }),
          },
          templates,
        )
}
