/**
 * Metrics, in a Rollout or an AnalysisTemplate: one provider or a builtin name, a sane thresholdRange,
 * conditions that parse, durations, providers (./metric-providers.ts), and (in templates) only the
 * args the template declares.
 */
import { checkConditionSyntax } from '../../analysis/condition.js'
import { BUILTIN_METRIC_NAMES, METRIC_PROVIDER_KINDS } from '../../analysis/vocabulary.js'
import type { MetricSpec } from '../schema.js'
import { quote } from '../shown-value.js'
import { argNames, fillArgs } from '../template-args.js'
import { closest } from './did-you-mean.js'
import type { DocumentProblems, Path } from './document-problems.js'
import { checkDuration, checkInterval } from './durations.js'
import { checkMetricProvider } from './metric-providers.js'

/**
 * `metrics` as ./sound-parts.ts gives them: undefined items failed the schema (and were reported).
 * `templateArgs` is given for a template's metrics, the args it declares with their defaults:
 * `{{args.x}}` must then name one of them, and its conditions must parse with the defaults filled in.
 */
export function checkMetrics(
  p: DocumentProblems,
  path: Path,
  metrics: readonly (MetricSpec | undefined)[],
  templateArgs?: ReadonlyMap<string, string | undefined>,
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
        `${quote(m.name)} is not a builtin metric${guess === undefined ? '' : ` (did you mean "${guess}"?)`} and has no provider; builtin metrics are ${BUILTIN_METRIC_NAMES.join(', ')}, or give provider: { prometheus | web | command | job }`,
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
      // An arg with no default is filled by the Rollout (checked there); 0 stands in for it here.
      const problem = checkConditionSyntax(fillArgs(src, templateArgs ?? new Map(), '0'))
      if (problem !== undefined)
        p.add(
          [...at, key],
          argNames(src).length === 0
            ? problem
            : `${problem} (args filled with their defaults, or 0)`,
        )
    }
    checkInterval(p, [...at, 'interval'], m.interval)
    checkDuration(p, [...at, 'initialDelay'], m.initialDelay)
    checkDuration(p, [...at, 'errorGracePeriod'], m.errorGracePeriod)
    checkMetricProvider(p, at, m, templateArgs ?? new Map())
    if (templateArgs !== undefined) {
      for (const name of argNames(JSON.stringify(m))) {
        if (!templateArgs.has(name))
          p.add(at, `uses {{args.${name}}} but the template declares no arg "${name}"`)
      }
    }
  })
}
