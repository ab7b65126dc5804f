/**
 * Analysis references (a rollout's spec.analysis, a canary analysis step, blue-green's pre/post
 * promotion): their metrics, the AnalysisTemplates they name, and the args those templates need.
 */
import { checkConditionSyntax } from '../../analysis/condition.js'
import {
  AnalysisRefSchema,
  MetricSchema,
  RolloutAnalysisSchema,
  TemplateRefSchema,
  type AnalysisTemplate,
} from '../schema.js'
import { quote } from '../shown-value.js'
import { argNames, fillArgs } from '../template-args.js'
import type { DocumentProblems, Path } from './document-problems.js'
import { checkDuration, checkInterval } from './durations.js'
import { checkMetrics } from './metrics.js'
import { soundItems, soundSections } from './sound-parts.js'

/** The AnalysisTemplates of the set being validated. */
export interface TemplateIndex {
  /** The template named; `'invalid'` when it failed its schema (reported at its own file and line). */
  get(name: string): AnalysisTemplate | 'invalid' | undefined
  names(): string[]
}

/**
 * Checks one reference, as written; returns how many metrics it brings (its own and its templates'),
 * or undefined when a part it would count failed the schema.
 */
export function checkAnalysisRef(
  p: DocumentProblems,
  path: Path,
  ref: unknown,
  templates: TemplateIndex,
): number | undefined {
  const r = soundSections(AnalysisRefSchema, ref)
  if (r === undefined) return undefined
  const metrics = soundItems(MetricSchema, r.part('metrics'))
  if (metrics !== undefined) checkMetrics(p, [...path, 'metrics'], metrics)
  checkDuration(p, [...path, 'duration'], r.sound.duration)
  const args = r.broken.has('args') ? undefined : (r.sound.args ?? [])
  const fromTemplates = checkTemplateRefs(p, path, r.part('templates'), args, templates)
  return metrics === undefined || fromTemplates === undefined
    ? undefined
    : metrics.length + fromTemplates
}

/**
 * The templates a reference names: they exist, and get every arg they need (unless `args` failed the
 * schema: undefined). Returns how many metrics they bring, undefined when `refs` is not a list.
 */
function checkTemplateRefs(
  p: DocumentProblems,
  path: Path,
  refs: unknown,
  args: { name: string; value?: string }[] | undefined,
  templates: TemplateIndex,
): number | undefined {
  const items = soundItems(TemplateRefSchema, refs)
  if (items === undefined) return undefined
  const given = new Map((args ?? []).map((a) => [a.name, a.value]))
  let metrics = 0
  items.forEach((t, i) => {
    // A broken item names a template all the same: count it as one that brings metrics.
    if (t === undefined) {
      metrics += 1
      return
    }
    const template = templates.get(t.templateName)
    if (template === undefined) {
      const known = templates.names()
      p.add(
        [...path, 'templates', i, 'templateName'],
        `no AnalysisTemplate named ${quote(t.templateName)} in the files given${known.length === 0 ? '' : ` (known: ${known.join(', ')})`}; pass its file with another -f`,
      )
      return
    }
    // Its schema asks every template for a metric; what else is wrong with it is reported where it is.
    if (template === 'invalid') {
      metrics += 1
      return
    }
    metrics += template.spec.metrics.length
    if (args === undefined) return
    for (const arg of template.spec.args ?? []) {
      if (arg.value === undefined && given.get(arg.name) === undefined) {
        p.add(
          [...path, 'templates', i],
          `template ${quote(t.templateName)} needs arg ${quote(arg.name)}: add args: [{ name: ${quote(arg.name)}, value: … }]`,
        )
      }
    }
    checkFilledConditions(p, path, template, args)
  })
  return metrics
}

/**
 * The template's conditions with the given args filled in, as normalisation will fill them: each must
 * still parse. A problem is put on the arg that breaks it (the template's defaults are checked there).
 */
function checkFilledConditions(
  p: DocumentProblems,
  path: Path,
  template: AnalysisTemplate,
  args: { name: string; value?: string }[],
): void {
  const defaults = new Map((template.spec.args ?? []).map((a) => [a.name, a.value]))
  const values = new Map(defaults)
  for (const a of args) if (a.value !== undefined) values.set(a.name, a.value)
  for (const m of template.spec.metrics) {
    for (const key of ['successCondition', 'failureCondition'] as const) {
      const src = m[key]
      if (src === undefined) continue
      const filled = fillArgs(src, values, '0')
      if (filled === fillArgs(src, defaults, '0')) continue
      const problem = checkConditionSyntax(filled)
      if (problem === undefined) continue
      // The last given value of an arg the condition uses is the one normalisation takes.
      const names = new Set(argNames(src))
      const j = args.findLastIndex((a) => a.value !== undefined && names.has(a.name))
      p.add(
        j === -1 ? path : [...path, 'args', j, 'value'],
        `turns the ${key} of template ${quote(template.metadata.name)} (metric ${quote(m.name)}) into an invalid ${problem}`,
      )
    }
  }
}

/**
 * Checks `spec.analysis`, as written; returns how many metrics the rollout analyses by itself, which
 * the strategies' analyses fall back on when they name none (undefined when that cannot be known).
 */
export function checkRolloutAnalysis(
  p: DocumentProblems,
  analysis: unknown,
  templates: TemplateIndex,
): number | undefined {
  if (analysis === undefined) return 0
  const a = soundSections(RolloutAnalysisSchema, analysis)
  if (a === undefined) return undefined
  checkInterval(p, ['spec', 'analysis', 'interval'], a.sound.interval)
  const metrics = soundItems(MetricSchema, a.part('metrics'))
  if (metrics !== undefined) checkMetrics(p, ['spec', 'analysis', 'metrics'], metrics)
  const args = a.broken.has('args') ? undefined : (a.sound.args ?? [])
  const fromTemplates = checkTemplateRefs(
    p,
    ['spec', 'analysis'],
    a.part('templates'),
    args,
    templates,
  )
  return metrics === undefined || fromTemplates === undefined
    ? undefined
    : metrics.length + fromTemplates
}
