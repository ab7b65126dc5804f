/**
 * The metrics of a Flagger Canary's analysis as Kanari's: builtin ones as Kanari's builtin metrics,
 * the others as prometheus metrics whose query (inline or a MetricTemplate's) has Flagger's template
 * variables filled in for this Canary.
 */
import type { Doc, ImportContext } from './context.js'
import type { FlaggerObjects } from './flagger-objects.js'
import type { Path, Source } from './source.js'

/** Flagger's builtin metrics, as Kanari's builtin ones (measured the same way: percent, ms). */
const BUILTIN: Record<string, { name: string; bound: 'min' | 'max' }> = {
  'request-success-rate': { name: 'success-rate', bound: 'min' },
  'request-duration': { name: 'latency-p99', bound: 'max' },
}

/** What a Canary's metrics are read against. */
export interface MetricScope {
  /** Flagger's template variables for this Canary (name, namespace, target, service, …). */
  vars: Record<string, string>
  namespace: string | undefined
  /** spec.metricsServer, the Prometheus Flagger asks when a template names none. */
  metricsServer: string | undefined
}

function thresholdRange(src: Source, at: Path): Doc | undefined {
  const range: Doc = {}
  for (const key of ['min', 'max']) {
    const v = src.number([...at, 'thresholdRange', key])
    if (v !== undefined) range[key] = v
  }
  return Object.keys(range).length > 0 ? range : undefined
}

/** A MetricTemplate's query with Flagger's template variables filled in for this Canary. */
function renderQuery(
  query: string,
  vars: Record<string, string>,
  variables: Record<string, string>,
) {
  const missing: string[] = []
  const rendered = query.replace(/\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g, (whole, name: string) => {
    const value = name.startsWith('variables.') ? variables[name.slice(10)] : vars[name]
    if (value === undefined) {
      missing.push(name)
      return whole
    }
    return value
  })
  return { rendered, missing }
}

/** A metric of the Canary's analysis, or undefined when it cannot be one of Kanari's (with why). */
export function metricOf(
  src: Source,
  at: Path,
  canary: MetricScope,
  objects: FlaggerObjects,
  ctx: ImportContext,
): Doc | undefined {
  const name = src.get([...at, 'name'])
  if (typeof name !== 'string') {
    src.drop(at, 'a metric needs a name')
    return undefined
  }
  const builtin = BUILTIN[name]
  if (builtin !== undefined && !src.has([...at, 'templateRef']) && !src.has([...at, 'query']))
    return builtinMetric(src, at, name, builtin, ctx)
  const interval = src.get([...at, 'interval'])
  const vars = { ...canary.vars, interval: typeof interval === 'string' ? interval : '1m' }
  const variables: Record<string, string> = {}
  for (const key of src.keys([...at, 'templateVariables'])) {
    const v = src.string([...at, 'templateVariables', key])
    if (v !== undefined) variables[key] = v
  }
  const query = querySource(src, at, name, canary, objects)
  if (typeof query === 'string') {
    src.drop(at, query)
    return undefined
  }
  const { from, queryAt, address } = query
  const raw = from.get(queryAt)
  if (typeof raw !== 'string' || typeof address !== 'string') {
    src.drop(at, 'its MetricTemplate has no query or no provider address')
    return undefined
  }
  if (from === src) src.take(queryAt)
  src.take([...at, 'name'])
  if (typeof interval === 'string') src.take([...at, 'interval'])
  const { rendered, missing } = renderQuery(raw, vars, variables)
  if (missing.length > 0)
    ctx.note(
      src,
      at,
      `the query still holds {{ ${missing.join(' }}, {{ ')} }}: Flagger had no value for it either; write it out`,
    )
  const out: Doc = { name, provider: { prometheus: { address, query: rendered.trim() } } }
  const range = thresholdRange(src, at)
  const legacy = src.number([...at, 'threshold'])
  if (range !== undefined) out.thresholdRange = range
  else if (legacy !== undefined) out.thresholdRange = { max: legacy }
  return out
}

/** One of Flagger's builtin metrics as Kanari's, with its bound from thresholdRange or threshold. */
function builtinMetric(
  src: Source,
  at: Path,
  name: string,
  builtin: { name: string; bound: 'min' | 'max' },
  ctx: ImportContext,
): Doc {
  src.take([...at, 'name'])
  const range = thresholdRange(src, at) ?? {}
  const legacy = src.number([...at, 'threshold'])
  if (legacy !== undefined && range[builtin.bound] === undefined) range[builtin.bound] = legacy
  src.drop(
    [...at, 'interval'],
    "the query window of Flagger's builtin metric; Kanari's builtin metrics count the requests of each analysis interval",
  )
  ctx.note(
    src,
    [...at, 'name'],
    `${name} is Kanari's builtin ${builtin.name}${builtin.name === 'latency-p99' ? ' (ms)' : ' (percent)'}, measured by Kanari from the traffic it routes`,
  )
  return {
    name: builtin.name,
    ...(Object.keys(range).length > 0 ? { thresholdRange: range } : {}),
  }
}

/**
 * Where a metric's query and Prometheus are: its MetricTemplate (the template's address, else
 * spec.metricsServer), or an inline query with spec.metricsServer; else why it has none.
 */
function querySource(
  src: Source,
  at: Path,
  name: string,
  canary: MetricScope,
  objects: FlaggerObjects,
): { from: Source; queryAt: Path; address: string | undefined } | string {
  const ref = [...at, 'templateRef']
  if (src.has(ref)) {
    const tName = src.get([...ref, 'name'])
    const tNamespace = src.get([...ref, 'namespace'])
    const template =
      typeof tName === 'string'
        ? objects.metricTemplate(
            tName,
            typeof tNamespace === 'string' ? tNamespace : canary.namespace,
          )
        : undefined
    if (template === undefined)
      return `MetricTemplate ${String(tName)} is not among the input files; add it to -f to carry this metric over`
    objects.use(template)
    src.take(ref)
    const type = template.get(['spec', 'provider', 'type'])
    if (type !== undefined && type !== 'prometheus')
      return `its MetricTemplate queries ${JSON.stringify(type)}: Kanari measures with prometheus, web, command or its builtin metrics`
    const address = template.get(['spec', 'provider', 'address'])
    return {
      from: template,
      queryAt: ['spec', 'query'],
      address: typeof address === 'string' ? address : canary.metricsServer,
    }
  }
  if (src.has([...at, 'query'])) {
    if (canary.metricsServer === undefined)
      return 'an inline query needs spec.metricsServer (the Prometheus to ask); none is given'
    return { from: src, queryAt: [...at, 'query'], address: canary.metricsServer }
  }
  return `${name} is not one of Flagger's builtin metrics and has no templateRef or query`
}

/** The parts of a MetricTemplate not already read into the metrics that use it. */
export function finishMetricTemplate(src: Source): void {
  src.take(['apiVersion'])
  src.take(['kind'])
  src.take(['metadata'])
  src.take(['spec', 'query'])
  src.take(['spec', 'provider', 'type'])
  src.take(['spec', 'provider', 'address'])
  src.drop(
    ['spec', 'provider', 'secretRef'],
    "credentials do not belong in a spec; Kanari's prometheus provider reads them from the environment or a file",
  )
  src.drop(['spec', 'provider', 'headers'], "Kanari's prometheus provider sends no extra headers")
  src.drop(['spec', 'provider', 'insecureSkipVerify'], 'Kanari always verifies TLS certificates')
  src.drop(['spec', 'provider', 'region'], 'used by cloud providers Kanari does not query')
  src.drop(['status'], 'the live state of the object, not part of a spec')
}
