/**
 * Metrics, in a Rollout or an AnalysisTemplate: one provider or a builtin name, a sane thresholdRange,
 * conditions that parse, durations, and (in templates) only the args the template declares.
 */
import { checkConditionSyntax } from '../../analysis/condition.js'
import { BUILTIN_METRIC_NAMES, METRIC_PROVIDER_KINDS } from '../../analysis/vocabulary.js'
import type { MetricSpec } from '../schema.js'
import { quote } from '../shown-value.js'
import { ARG_REF } from '../template-args.js'
import { closest } from './did-you-mean.js'
import type { DocumentProblems, Path } from './document-problems.js'
import { checkDuration } from './durations.js'

/**
 * `metrics` as ./sound-parts.ts gives them: undefined items failed the schema (and were reported).
 * `definedArgs` is given for a template's metrics: `{{args.x}}` must then name one of them.
 */
export function checkMetrics(
  p: DocumentProblems,
  path: Path,
  metrics: readonly (MetricSpec | undefined)[],
  definedArgs?: Set<string>,
): void {
  const names = new Set<string>()
  metrics.forEach((m, i) => {
    if (m === undefined) return
    const at = [...path, i]
    if (names.has(m.name)) p.add([...at, 'name'], `duplicate metric name ${quote(m.name)}`)
    names.add(m.name)
    const providers = Object.keys(m.provider ?? {}).filter((k) =>
      (METRIC_PROVIDER_KINDS as readonly string[]).includes(k),
    )
    if (providers.length > 1)
      p.add([...at, 'provider'], `give one provider, not ${providers.join(' and ')}`)
    if (providers.length === 0 && !(BUILTIN_METRIC_NAMES as readonly string[]).includes(m.name)) {
      const guess = closest(m.name, [...BUILTIN_METRIC_NAMES])
      p.add(
        [...at, 'name'],
        `${quote(m.name)} is not a builtin metric${guess === undefined ? '' : ` (did you mean "${guess}"?)`} and has no provider; builtin metrics are ${BUILTIN_METRIC_NAMES.join(', ')}, or give provider: { prometheus | web | command }`,
      )
    }
    if (
      m.thresholdRange !== undefined &&
      m.thresholdRange.min === undefined &&
      m.thresholdRange.max === undefined
    )
      p.add([...at, 'thresholdRange'], 'needs min or max')
    if (
      m.thresholdRange?.min !== undefined &&
      m.thresholdRange.max !== undefined &&
      m.thresholdRange.min > m.thresholdRange.max
    )
      p.add(
        [...at, 'thresholdRange'],
        `min ${m.thresholdRange.min} is above max ${m.thresholdRange.max}`,
      )
    for (const key of ['successCondition', 'failureCondition'] as const) {
      const src = m[key]
      if (src === undefined) continue
      const problem = checkConditionSyntax(src.replace(ARG_REF, '0'))
      if (problem !== undefined) p.add([...at, key], problem)
    }
    checkDuration(p, [...at, 'interval'], m.interval)
    checkDuration(p, [...at, 'initialDelay'], m.initialDelay)
    const prov = m.provider
    checkDuration(p, [...at, 'provider', 'prometheus', 'timeout'], prov?.prometheus?.timeout)
    checkDuration(p, [...at, 'provider', 'web', 'timeout'], prov?.web?.timeout)
    checkDuration(p, [...at, 'provider', 'command', 'timeout'], prov?.command?.timeout)
    if (definedArgs !== undefined) {
      for (const ref of JSON.stringify(m).matchAll(ARG_REF)) {
        if (!definedArgs.has(ref[1] ?? ''))
          p.add(
            at,
            `uses {{args.${ref[1] ?? ''}}} but the template declares no arg "${ref[1] ?? ''}"`,
          )
      }
    }
  })
}
