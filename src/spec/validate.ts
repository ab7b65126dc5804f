/**
 * Validation of a set of manifests: the schema (ajv), unknown fields (with did-you-mean), and the
 * rules a schema cannot say — contradictions, unsupported routes, missing templates, bad durations,
 * bad expressions. Every problem is returned at once, each with file, line and path.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { Static, TSchema } from 'typebox'
import { checkConditionSyntax } from '../analysis/condition.js'
import { parseDuration } from './duration.js'
import type { LoadedDocument } from './load.js'
import { formatPath, type SpecProblem } from './problems.js'
import {
  API_VERSION,
  AnalysisTemplateSchema,
  BUILTIN_METRIC_NAMES,
  ROUTERS,
  RequestMatchSchema,
  RolloutSchema,
  type AnalysisRefSpec,
  type AnalysisTemplate,
  type MetricSpec,
  type Rollout,
} from './schema.js'

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false })
const validators: Record<string, ValidateFunction> = {
  Rollout: ajv.compile(RolloutSchema),
  AnalysisTemplate: ajv.compile(AnalysisTemplateSchema),
}
const schemas: Record<string, TSchema> = {
  Rollout: RolloutSchema,
  AnalysisTemplate: AnalysisTemplateSchema,
}

/** Router capabilities: which step kinds each traffic router can carry out. */
export const ROUTER_CAPABILITIES: Record<
  (typeof ROUTERS)[number],
  { headerRoutes: boolean; mirror: boolean; weights: boolean }
> = {
  proxy: { headerRoutes: true, mirror: true, weights: true },
  gatewayAPI: { headerRoutes: true, mirror: true, weights: true },
  istio: { headerRoutes: true, mirror: true, weights: true },
  nginx: { headerRoutes: true, mirror: false, weights: true },
  smi: { headerRoutes: false, mirror: false, weights: true },
  none: { headerRoutes: false, mirror: false, weights: true },
}

class Problems {
  readonly list: SpecProblem[] = []
  constructor(readonly doc: LoadedDocument) {}
  add(path: (string | number)[], message: string, key = false): void {
    this.list.push({
      file: this.doc.file,
      line: this.doc.lineOf(path, { key }),
      path: formatPath(path),
      message,
    })
  }
}

function ajvPath(instancePath: string): (string | number)[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

function schemaErrors(p: Problems, errors: ErrorObject[]): void {
  const seen = new Set<string>()
  // int-or-string fields produce one error per branch plus the anyOf: report them once.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath))
  for (const e of errors) {
    const path = ajvPath(e.instancePath)
    let message = e.message ?? 'is invalid'
    if (anyOfPaths.has(e.instancePath)) {
      if (e.keyword !== 'anyOf') continue
      message = 'must be a whole number or a string like "30s" or "25%"'
    } else if (e.keyword === 'required') {
      path.push((e.params as { missingProperty: string }).missingProperty)
      message = 'is required'
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`
    } else if (e.keyword === 'pattern' && path.at(-1) === 'name') {
      message =
        'must be lower-case letters, digits and dashes, starting and ending with a letter or digit'
    }
    const key = `${formatPath(path)}|${message}`
    if (seen.has(key)) continue
    seen.add(key)
    p.add(path, message)
  }
}

function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase())
    if (d < bestDistance) {
      bestDistance = d
      best = o
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0
      row[j] = Math.min(
        (row[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
      prev = tmp
    }
  }
  return row[b.length] ?? 0
}

/** Reports fields the schema does not know (the CRD-compatible schema cannot forbid them itself). */
function unknownFields(
  p: Problems,
  schema: unknown,
  value: unknown,
  path: (string | number)[],
): void {
  const s = schema as {
    type?: string
    properties?: Record<string, unknown>
    additionalProperties?: unknown
    items?: unknown
  }
  if (value === null || typeof value !== 'object') return
  if (Array.isArray(value)) {
    if (s.items !== undefined) value.forEach((v, i) => unknownFields(p, s.items, v, [...path, i]))
    return
  }
  if (s.properties !== undefined) {
    const known = Object.keys(s.properties)
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k in s.properties) unknownFields(p, s.properties[k], v, [...path, k])
      else {
        const guess = closest(k, known)
        p.add(
          [...path, k],
          `unknown field "${k}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}; known fields: ${known.join(', ')}`,
          true,
        )
      }
    }
  } else if (typeof s.additionalProperties === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      unknownFields(p, s.additionalProperties, v, [...path, k])
  }
}

function checkDuration(
  p: Problems,
  path: (string | number)[],
  value: number | string | undefined,
): void {
  if (value === undefined) return
  const parsed = parseDuration(value)
  if (typeof parsed !== 'number') p.add(path, parsed.error)
}

function checkMatches(
  p: Problems,
  path: (string | number)[],
  matches: Static<typeof RequestMatchSchema>[] | undefined,
): void {
  ;(matches ?? []).forEach((m, i) => {
    const at = [...path, i]
    const header = m.headerName !== undefined || m.headerValue !== undefined
    const cookie = m.cookieName !== undefined || m.cookieValue !== undefined
    if (header === cookie) {
      p.add(
        at,
        header
          ? 'give a header match or a cookie match, not both'
          : 'needs headerName + headerValue, or cookieName + cookieValue',
      )
      return
    }
    const [nameKey, valueKey] = header
      ? (['headerName', 'headerValue'] as const)
      : (['cookieName', 'cookieValue'] as const)
    if (m[nameKey] === undefined) p.add([...at, nameKey], 'is required')
    const v = m[valueKey]
    if (v === undefined) {
      p.add([...at, valueKey], 'is required')
      return
    }
    const kinds = (['exact', 'prefix', 'regex'] as const).filter((k) => v[k] !== undefined)
    if (kinds.length !== 1) p.add([...at, valueKey], 'needs exactly one of exact, prefix, regex')
    if (v.regex !== undefined) {
      try {
        new RegExp(v.regex)
      } catch (err) {
        p.add(
          [...at, valueKey, 'regex'],
          `is not a valid regular expression: ${(err as Error).message}`,
        )
      }
    }
  })
}

const ARG_REF = /\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}/g

function checkMetrics(
  p: Problems,
  path: (string | number)[],
  metrics: MetricSpec[] | undefined,
  definedArgs?: Set<string>,
): void {
  const names = new Set<string>()
  ;(metrics ?? []).forEach((m, i) => {
    const at = [...path, i]
    if (names.has(m.name)) p.add([...at, 'name'], `duplicate metric name "${m.name}"`)
    names.add(m.name)
    const providers = Object.keys(m.provider ?? {}).filter((k) =>
      ['builtin', 'prometheus', 'web', 'command'].includes(k),
    )
    if (providers.length > 1)
      p.add([...at, 'provider'], `give one provider, not ${providers.join(' and ')}`)
    if (providers.length === 0 && !(BUILTIN_METRIC_NAMES as readonly string[]).includes(m.name)) {
      const guess = closest(m.name, [...BUILTIN_METRIC_NAMES])
      p.add(
        [...at, 'name'],
        `"${m.name}" is not a builtin metric${guess === undefined ? '' : ` (did you mean "${guess}"?)`} and has no provider; builtin metrics are ${BUILTIN_METRIC_NAMES.join(', ')}, or give provider: { prometheus | web | command }`,
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

interface TemplateIndex {
  get(name: string): AnalysisTemplate | undefined
  names(): string[]
}

function checkAnalysisRef(
  p: Problems,
  path: (string | number)[],
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

function checkRollout(p: Problems, r: Rollout, templates: TemplateIndex): void {
  const spec = r.spec
  const workloads = Object.keys(spec.workload).filter(
    (k) => spec.workload[k as keyof typeof spec.workload] !== undefined,
  )
  if (workloads.length !== 1)
    p.add(
      ['spec', 'workload'],
      workloads.length === 0
        ? 'needs one of process (local mode) or targetRef (Kubernetes)'
        : `give one of process or targetRef, not ${workloads.join(' and ')}`,
    )
  const strategies = Object.keys(spec.strategy).filter(
    (k) => spec.strategy[k as keyof typeof spec.strategy] !== undefined,
  )
  if (strategies.length !== 1)
    p.add(
      ['spec', 'strategy'],
      strategies.length === 0
        ? 'needs one of canary, blueGreen, rolling'
        : `give one strategy, not ${strategies.join(' and ')}`,
    )

  const routers = Object.keys(spec.trafficRouting ?? {}).filter(
    (k) => (spec.trafficRouting as Record<string, unknown> | undefined)?.[k] !== undefined,
  )
  if (routers.length > 1)
    p.add(['spec', 'trafficRouting'], `give one traffic router, not ${routers.join(' and ')}`)
  const router = (routers[0] ??
    (spec.workload.process !== undefined ? 'proxy' : 'none')) as (typeof ROUTERS)[number]
  if (spec.workload.process !== undefined && routers.length === 1 && router !== 'proxy') {
    p.add(
      ['spec', 'trafficRouting', router],
      `a process workload runs on this machine behind Kanari's proxy; "${router}" needs Kubernetes (use trafficRouting.proxy or leave trafficRouting out)`,
      true,
    )
  }
  if (spec.workload.targetRef !== undefined && router === 'proxy' && routers.length === 1) {
    p.add(
      ['spec', 'trafficRouting', 'proxy'],
      'the built-in proxy routes process workloads; a Deployment needs gatewayAPI, istio, nginx, smi or none',
      true,
    )
  }
  const caps = ROUTER_CAPABILITIES[router]

  const rolloutMetrics = spec.analysis?.metrics?.length ?? 0
  const analysis = spec.analysis
  if (analysis !== undefined) {
    checkDuration(p, ['spec', 'analysis', 'interval'], analysis.interval)
    checkMetrics(p, ['spec', 'analysis', 'metrics'], analysis.metrics)
  }
  const analysisMetrics =
    analysis === undefined
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

  const canary = spec.strategy.canary
  if (canary !== undefined) {
    const at = ['spec', 'strategy', 'canary']
    const shorthand =
      canary.stepWeight !== undefined ||
      canary.stepWeights !== undefined ||
      canary.iterations !== undefined
    if (canary.steps !== undefined && shorthand)
      p.add(
        [...at, 'steps'],
        'give steps, or the shorthand (interval with stepWeight/maxWeight, stepWeights or iterations), not both',
        true,
      )
    if (canary.steps === undefined && !shorthand)
      p.add(
        at,
        'needs steps, or the shorthand: interval with stepWeight + maxWeight, stepWeights, or iterations + match',
      )
    if (canary.stepWeight !== undefined && canary.stepWeights !== undefined)
      p.add([...at, 'stepWeights'], 'give stepWeight or stepWeights, not both', true)
    if (
      canary.iterations !== undefined &&
      (canary.stepWeight !== undefined || canary.stepWeights !== undefined)
    )
      p.add(
        [...at, 'iterations'],
        'iterations (A/B testing) cannot be combined with stepWeight or stepWeights',
        true,
      )
    if (canary.iterations !== undefined && canary.match === undefined)
      p.add(
        [...at, 'match'],
        'A/B testing (iterations) needs match: the headers or cookies that select the canary',
      )
    if (canary.match !== undefined && canary.iterations === undefined)
      p.add([...at, 'match'], 'match is for A/B testing: add iterations', true)
    if (canary.match !== undefined && !caps.headerRoutes)
      p.add(
        [...at, 'match'],
        `the ${router} router cannot route by header or cookie; use proxy, istio, gatewayAPI or nginx`,
        true,
      )
    if (canary.mirror !== undefined && !caps.mirror)
      p.add(
        [...at, 'mirror'],
        `the ${router} router cannot mirror traffic; use proxy, istio or gatewayAPI`,
        true,
      )
    if (shorthand && canary.interval === undefined)
      p.add([...at, 'interval'], 'the shorthand needs interval (how long each weight is analysed)')
    if (shorthand && analysisMetrics === 0)
      p.add(at, 'the shorthand analyses every step: add spec.analysis.metrics (e.g. error-rate)')
    checkDuration(p, [...at, 'interval'], canary.interval)
    checkDuration(p, [...at, 'mirror', 'duration'], canary.mirror?.duration)
    if (
      canary.stepWeight !== undefined &&
      canary.maxWeight !== undefined &&
      canary.stepWeight > canary.maxWeight
    )
      p.add(
        [...at, 'stepWeight'],
        `stepWeight ${canary.stepWeight} is above maxWeight ${canary.maxWeight}`,
      )
    canary.stepWeights?.forEach((w, i, all) => {
      if (i > 0 && w <= (all[i - 1] ?? 0))
        p.add([...at, 'stepWeights', i], `weights must increase (${all[i - 1] ?? 0} then ${w})`)
    })
    checkMatches(p, [...at, 'match'], canary.match)
    canary.steps?.forEach((step, i) => {
      const sp = [...at, 'steps', i]
      const keys = Object.keys(step).filter(
        (k) => (step as Record<string, unknown>)[k] !== undefined,
      )
      if (keys.length !== 1) {
        p.add(
          sp,
          keys.length === 0
            ? 'is empty: give one of setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, setCanaryScale'
            : `give one action per step, not ${keys.join(' and ')}`,
        )
        return
      }
      if (step.pause !== undefined)
        checkDuration(p, [...sp, 'pause', 'duration'], step.pause.duration)
      if (step.analysis !== undefined) {
        const n = checkAnalysisRef(p, [...sp, 'analysis'], step.analysis, templates)
        if (n === 0 && analysisMetrics === 0)
          p.add(
            [...sp, 'analysis'],
            'has no metrics: name templates, give metrics, or add spec.analysis.metrics',
          )
      }
      if (step.setHeaderRoute !== undefined) {
        if (!caps.headerRoutes)
          p.add(
            [...sp, 'setHeaderRoute'],
            `the ${router} router cannot route by header or cookie; use proxy, istio, gatewayAPI or nginx`,
            true,
          )
        checkMatches(p, [...sp, 'setHeaderRoute', 'match'], step.setHeaderRoute.match)
      }
      if (step.setMirrorRoute !== undefined) {
        if (!caps.mirror)
          p.add(
            [...sp, 'setMirrorRoute'],
            `the ${router} router cannot mirror traffic; use proxy, istio or gatewayAPI`,
            true,
          )
        if (step.setMirrorRoute.percentage === undefined)
          p.add([...sp, 'setMirrorRoute', 'percentage'], 'is required (0 removes the mirror)')
        checkMatches(p, [...sp, 'setMirrorRoute', 'match'], step.setMirrorRoute.match)
      }
      if (step.setCanaryScale !== undefined) {
        const set = Object.keys(step.setCanaryScale).filter(
          (k) => (step.setCanaryScale as Record<string, unknown>)[k] !== undefined,
        )
        if (set.length !== 1)
          p.add([...sp, 'setCanaryScale'], 'give one of replicas, weight, matchTrafficWeight')
      }
    })
  }
  const bg = spec.strategy.blueGreen
  if (bg !== undefined) {
    const at = ['spec', 'strategy', 'blueGreen']
    if (
      bg.prePromotionAnalysis !== undefined &&
      checkAnalysisRef(p, [...at, 'prePromotionAnalysis'], bg.prePromotionAnalysis, templates) +
        analysisMetrics ===
        0
    )
      p.add([...at, 'prePromotionAnalysis'], 'has no metrics')
    if (
      bg.postPromotionAnalysis !== undefined &&
      checkAnalysisRef(p, [...at, 'postPromotionAnalysis'], bg.postPromotionAnalysis, templates) +
        analysisMetrics ===
        0
    )
      p.add([...at, 'postPromotionAnalysis'], 'has no metrics')
    if (bg.previewMirrorPercentage !== undefined && bg.previewMirrorPercentage > 0 && !caps.mirror)
      p.add([...at, 'previewMirrorPercentage'], `the ${router} router cannot mirror traffic`)
    if (bg.previewReplicaCount !== undefined && bg.previewReplicaCount > (spec.replicas ?? 1))
      p.add([...at, 'previewReplicaCount'], `is above spec.replicas (${spec.replicas ?? 1})`)
  }
  const rolling = spec.strategy.rolling
  if (rolling !== undefined) {
    for (const key of ['maxSurge', 'maxUnavailable'] as const) {
      const v = rolling[key]
      if (typeof v === 'string' && !/^\d+%$/.test(v))
        p.add(
          ['spec', 'strategy', 'rolling', key],
          `must be a whole number or a percentage like "25%" (got "${v}")`,
        )
      if (typeof v === 'number' && v < 0)
        p.add(['spec', 'strategy', 'rolling', key], 'must not be negative')
    }
  }
  spec.webhooks?.forEach((w, i) => checkDuration(p, ['spec', 'webhooks', i, 'timeout'], w.timeout))
  spec.webhooks?.forEach((w, i) => {
    if (!/^https?:\/\//.test(w.url))
      p.add(['spec', 'webhooks', i, 'url'], `must be an http:// or https:// URL (got "${w.url}")`)
  })
}

/** Validates a set of loaded documents together (Rollouts may use the set's AnalysisTemplates). */
export function validateDocuments(docs: LoadedDocument[]): SpecProblem[] {
  const problems: SpecProblem[] = []
  const templateDocs = new Map<string, AnalysisTemplate>()
  const checked: { doc: LoadedDocument; p: Problems; kind: string }[] = []
  for (const doc of docs) {
    const p = new Problems(doc)
    checked.push({ doc, p, kind: '' })
    const v = doc.value as Record<string, unknown> | null
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      p.add([], 'must be a mapping with apiVersion, kind, metadata and spec')
      continue
    }
    const kind = v.kind
    if (typeof kind !== 'string' || !(kind in validators)) {
      p.add(
        ['kind'],
        `unknown kind ${JSON.stringify(kind ?? null)}; Kanari reads Rollout and AnalysisTemplate (Argo or Flagger manifests: convert them first)`,
      )
      continue
    }
    if (v.apiVersion !== API_VERSION)
      p.add(['apiVersion'], `must be ${API_VERSION} (got ${JSON.stringify(v.apiVersion ?? null)})`)
    const validate = validators[kind]
    if (validate !== undefined && !validate(v)) schemaErrors(p, validate.errors ?? [])
    unknownFields(p, schemas[kind], v, [])
    checked[checked.length - 1] = { doc, p, kind }
    if (kind === 'AnalysisTemplate') {
      const t = v as unknown as AnalysisTemplate
      if (templateDocs.has(t.metadata.name))
        p.add(['metadata', 'name'], `a second AnalysisTemplate named "${t.metadata.name}"`)
      templateDocs.set(t.metadata.name, t)
      checkMetrics(
        p,
        ['spec', 'metrics'],
        t.spec.metrics,
        new Set((t.spec.args ?? []).map((a) => a.name)),
      )
    }
  }
  const index: TemplateIndex = {
    get: (n) => templateDocs.get(n),
    names: () => [...templateDocs.keys()],
  }
  const rolloutNames = new Set<string>()
  for (const { doc, p, kind } of checked) {
    if (kind === 'Rollout') {
      const r = doc.value as Rollout
      if (rolloutNames.has(r.metadata.name))
        p.add(['metadata', 'name'], `a second Rollout named "${r.metadata.name}"`)
      rolloutNames.add(r.metadata.name)
      // The rules beyond the schema run even when the schema found problems, so every problem is
      // reported at once; a shape too broken to walk has already been reported by the schema.
      try {
        checkRollout(p, r, index)
      } catch (err) {
        if (p.list.length === 0) throw err
      }
    }
    problems.push(...p.list)
  }
  return problems
}
