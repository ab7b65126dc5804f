/**
 * Argo Rollouts' AnalysisTemplate and ClusterAnalysisTemplate as Kanari AnalysisTemplates, and the
 * metrics and analysis references they share with a Rollout: prometheus, web and job providers,
 * counts, limits and conditions, args with values.
 */
import { WEB_METRIC_METHODS } from '../analysis/vocabulary.js'
import { kanariCondition } from './conditions.js'
import { jobOf, prometheusOf, webOf } from './argo-metric-providers.js'
import { KANARI_API_VERSION, metadataOf, type Doc, type ImportContext } from './context.js'
import type { Path, Source } from './source.js'

const NOT_RETAINED =
  'Kanari keeps every measurement of a run in its status and has no dry-run metrics; drop it or make the metric count for real'

/** A metric of Argo's, or undefined when it cannot be one of Kanari's (the reason is recorded). */
export function metricOf(src: Source, at: Path, ctx: ImportContext): Doc | undefined {
  const provider = [...at, 'provider']
  const kinds = src.keys(provider)
  const kind = kinds[0]
  if (kinds.length !== 1 || (kind !== 'prometheus' && kind !== 'web' && kind !== 'job')) {
    src.drop(
      at,
      kinds.length === 1
        ? `the ${kind ?? ''} provider: Kanari measures with prometheus, web, job, command or its builtin metrics; rewrite this metric for one of them`
        : 'a metric needs exactly one provider',
    )
    return undefined
  }
  const method = src.get([...provider, 'web', 'method'])
  if (
    kind === 'web' &&
    typeof method === 'string' &&
    !(WEB_METRIC_METHODS as readonly string[]).includes(method)
  ) {
    src.drop(
      at,
      `the web provider sends ${method}: Kanari's sends ${WEB_METRIC_METHODS.join(' or ')}; rewrite this metric`,
    )
    return undefined
  }
  const converted =
    kind === 'prometheus'
      ? prometheusOf(src, [...provider, kind])
      : kind === 'web'
        ? webOf(src, [...provider, kind], ctx)
        : jobOf(src, [...provider, kind])
  if (typeof converted === 'string') {
    src.drop(at, converted)
    return undefined
  }
  const m: Doc = { name: src.string([...at, 'name']) ?? '' }
  if (kind === 'job') jobCondition(src, at, m, ctx)
  for (const key of ['interval', 'initialDelay'] as const) {
    const v = src.get([...at, key])
    if (typeof v === 'string' || typeof v === 'number') m[key] = src.take([...at, key])
  }
  const count = src.get([...at, 'count'])
  if (typeof count === 'number') m.count = src.take([...at, 'count'])
  else if (typeof count === 'string' && /^\d+$/.test(count)) {
    src.take([...at, 'count'])
    m.count = Number(count)
  } else
    src.drop(
      [...at, 'count'],
      'Kanari takes a number of measurements, not an arg; write the number here',
    )
  for (const key of ['successCondition', 'failureCondition'] as const) {
    const source = src.get([...at, key])
    if (typeof source !== 'string' || kind === 'job') continue
    const c = kanariCondition(source)
    if ('error' in c) src.drop([...at, key], c.error)
    else {
      src.take([...at, key])
      m[key] = c.condition
      if (c.changed) ctx.note(src, [...at, key], `condition written as Kanari's: ${c.condition}`)
    }
  }
  for (const key of ['failureLimit', 'inconclusiveLimit', 'consecutiveErrorLimit'] as const) {
    const v = src.get([...at, key])
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) m[key] = src.take([...at, key])
    else
      src.drop(
        [...at, key],
        typeof v === 'number'
          ? `${v} turns the limit off in Argo Rollouts; Kanari's limits are 0 or more`
          : 'Kanari takes a number here, not an arg',
      )
  }
  src.drop(
    [...at, 'consecutiveSuccessLimit'],
    'Kanari judges a metric on all its measurements, not on a run of successes',
  )
  m.provider = { [kind]: converted }
  return m
}

/**
 * Argo judges a job metric by the Job alone: succeeded is a success, failed a failure. Kanari's job
 * measures 1 or 0, so the condition says the same; conditions of Argo's own are never evaluated.
 */
function jobCondition(src: Source, at: Path, m: Doc, ctx: ImportContext): void {
  m.successCondition = 'result == 1'
  for (const key of ['successCondition', 'failureCondition'])
    src.drop(
      [...at, key],
      'Argo Rollouts judges a job metric by whether its Job succeeded, not by a condition',
    )
  ctx.note(
    src,
    [...at, 'provider', 'job'],
    "successCondition is result == 1: Kanari's job provider measures 1 when the Job succeeds, 0 when it fails (on Kubernetes only; in local mode use the command provider)",
  )
}

/** `args`: names with values; values from elsewhere are given up with why. */
export function argsOf(src: Source, at: Path): Doc[] {
  return src.items(at).flatMap((_a, i) => {
    const name = src.string([...at, i, 'name'])
    if (name === undefined) return []
    const value = src.string([...at, i, 'value'])
    src.drop(
      [...at, i, 'valueFrom'],
      'Kanari args take a value written in the spec; give the value (a Rollout can pass it in its analysis args)',
    )
    return [value === undefined ? { name } : { name, value }]
  })
}

/** A Rollout's `analysis` reference (a step, background, or blue-green pre/post promotion). */
export function analysisRefOf(src: Source, at: Path, renames: ReadonlyMap<string, string>): Doc {
  const out: Doc = {}
  const templates = src.items([...at, 'templates']).flatMap((_t, i) => {
    const name = src.string([...at, 'templates', i, 'templateName'])
    if (name === undefined) return []
    const cluster = src.boolean([...at, 'templates', i, 'clusterScope']) === true
    return [{ templateName: (cluster ? renames.get(name) : undefined) ?? name }]
  })
  if (templates.length > 0) out.templates = templates
  const args = argsOf(src, [...at, 'args'])
  if (args.length > 0) out.args = args
  src.drop([...at, 'dryRun'], NOT_RETAINED)
  src.drop([...at, 'measurementRetention'], NOT_RETAINED)
  src.drop([...at, 'analysisRunMetadata'], 'Kanari does not make AnalysisRun objects to label')
  return out
}

/** An AnalysisTemplate or ClusterAnalysisTemplate as a Kanari AnalysisTemplate. */
export function convertAnalysisTemplate(src: Source, ctx: ImportContext, name: string): Doc {
  const metadata = metadataOf(src, ctx)
  if (name !== metadata.name) {
    ctx.note(
      src,
      ['metadata', 'name'],
      `named ${name}: an AnalysisTemplate of the same name is in the input too, and Kanari has one kind for both`,
    )
    metadata.name = name
  }
  if (src.get(['kind']) === 'ClusterAnalysisTemplate') delete metadata.namespace
  const args = argsOf(src, ['spec', 'args'])
  const metrics = src
    .items(['spec', 'metrics'])
    .flatMap((_m, i) => metricOf(src, ['spec', 'metrics', i], ctx) ?? [])
  if (metrics.length === 0)
    ctx.note(
      src,
      ['spec', 'metrics'],
      'no metric could be carried over; the template needs at least one',
    )
  src.drop(['spec', 'dryRun'], NOT_RETAINED)
  src.drop(['spec', 'measurementRetention'], NOT_RETAINED)
  src.drop(
    ['spec', 'templates'],
    'Kanari templates do not include other templates; list them all in the Rollout',
  )
  return {
    apiVersion: KANARI_API_VERSION,
    kind: 'AnalysisTemplate',
    metadata,
    spec: { ...(args.length > 0 ? { args } : {}), metrics },
  }
}
