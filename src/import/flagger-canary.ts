/**
 * A Flagger `Canary` as a Kanari Rollout: the analysis block becomes the Flagger shorthand (or A/B,
 * or blue-green) with the threshold judge, builtin metrics become Kanari's builtin ones, metrics
 * from a MetricTemplate become prometheus metrics with the template's variables filled in, webhooks
 * carry over, and alerts become notifications whose webhook URL is read from the environment.
 */
import { NOTIFICATION_PROVIDERS } from '../engine/vocabulary.js'
import { parseDuration } from '../spec/duration.js'
import {
  KANARI_API_VERSION,
  kanariName,
  metadataOf,
  type Doc,
  type ImportContext,
} from './context.js'
import type { Path, Source } from './source.js'

/** Flagger's MetricTemplates and AlertProviders of the input, found by name and namespace. */
export interface FlaggerObjects {
  metricTemplate(name: string, namespace: string | undefined): Source | undefined
  alertProvider(name: string, namespace: string | undefined): Source | undefined
  /** Marks a MetricTemplate or AlertProvider as used (an unused one gets a note). */
  use(src: Source): void
}

const SERVICE_MESH =
  'Kanari references an existing routing object and does not generate Services or mesh configuration; configure it there'

/** Flagger's builtin metrics, as Kanari's builtin ones (measured the same way: percent, ms). */
const BUILTIN: Record<string, { name: string; bound: 'min' | 'max' }> = {
  'request-success-rate': { name: 'success-rate', bound: 'min' },
  'request-duration': { name: 'latency-p99', bound: 'max' },
}

/** The environment variable an alert's webhook URL is read from. */
export function alertEnvName(provider: string): string {
  return `KANARI_ALERT_${provider
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')}`
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

function metricOf(
  src: Source,
  at: Path,
  canary: {
    vars: Record<string, string>
    namespace: string | undefined
    metricsServer: string | undefined
  },
  objects: FlaggerObjects,
  ctx: ImportContext,
): Doc | undefined {
  const name = src.get([...at, 'name'])
  if (typeof name !== 'string') {
    src.drop(at, 'a metric needs a name')
    return undefined
  }
  const builtin = BUILTIN[name]
  const ref = [...at, 'templateRef']
  if (builtin !== undefined && !src.has(ref) && !src.has([...at, 'query'])) {
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
  const interval = src.get([...at, 'interval'])
  const vars = { ...canary.vars, interval: typeof interval === 'string' ? interval : '1m' }
  const variables: Record<string, string> = {}
  for (const key of src.keys([...at, 'templateVariables'])) {
    const v = src.string([...at, 'templateVariables', key])
    if (v !== undefined) variables[key] = v
  }
  let address: string | undefined
  let from: Source = src
  let queryAt: Path = [...at, 'query']
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
    if (template === undefined) {
      src.drop(
        at,
        `MetricTemplate ${String(tName)} is not among the input files; add it to -f to carry this metric over`,
      )
      return undefined
    }
    objects.use(template)
    src.take(ref)
    const type = template.get(['spec', 'provider', 'type'])
    if (type !== undefined && type !== 'prometheus') {
      src.drop(
        at,
        `its MetricTemplate queries ${JSON.stringify(type)}: Kanari measures with prometheus, web, command or its builtin metrics`,
      )
      return undefined
    }
    from = template
    queryAt = ['spec', 'query']
    address = template.get(['spec', 'provider', 'address']) as string | undefined
    if (typeof address !== 'string') address = canary.metricsServer
  } else if (src.has([...at, 'query'])) {
    address = canary.metricsServer
    if (address === undefined) {
      src.drop(
        at,
        'an inline query needs spec.metricsServer (the Prometheus to ask); none is given',
      )
      return undefined
    }
  } else {
    src.drop(at, `${name} is not one of Flagger's builtin metrics and has no templateRef or query`)
    return undefined
  }
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

/** Istio HTTPMatchRequests as Kanari matches: one header each, exact, prefix or regex. */
function matchesOf(src: Source, at: Path): Doc[] {
  return src.items(at).flatMap((_m, i) => {
    const headers = src.keys([...at, i, 'headers'])
    const other = src.keys([...at, i]).filter((k) => k !== 'headers')
    const only = headers[0]
    if (headers.length === 1 && other.length === 0 && only !== undefined) {
      const h = [...at, i, 'headers', only]
      const kinds = src.keys(h)
      const kind = kinds[0]
      const value = kind === undefined ? undefined : src.get([...h, kind])
      if (kinds.length === 1 && typeof value === 'string' && kind !== undefined) {
        if (kind === 'exact' || kind === 'prefix' || kind === 'regex') {
          src.take([...h, kind])
          return [{ headerName: only, headerValue: { [kind]: value } }]
        }
        if (kind === 'suffix') {
          src.take([...h, kind])
          return [{ headerName: only, headerValue: { regex: `${escapeRegex(value)}$` } }]
        }
      }
    }
    src.drop(
      [...at, i],
      'Kanari matches one header (or cookie) per match item, exact, prefix or regex; uri, method, sourceLabels or several headers at once have no equivalent',
    )
    return []
  })
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function routerOf(src: Source, ctx: ImportContext, apex: string): Doc | undefined {
  const provider = src.get(['spec', 'provider'])
  if (provider === undefined) {
    ctx.note(
      src,
      ['spec'],
      'no spec.provider: Flagger used its -mesh-provider flag (istio unless set); set spec.trafficRouting to the router in use',
    )
    return undefined
  }
  if (typeof provider !== 'string') return undefined
  const ingress = src.get(['spec', 'ingressRef', 'name'])
  if (provider === 'istio') {
    src.take(['spec', 'provider'])
    ctx.note(
      src,
      ['spec', 'provider'],
      `trafficRouting.istio.virtualService is ${apex}, the VirtualService Flagger generated`,
    )
    return { istio: { virtualService: { name: apex } } }
  }
  if (provider.startsWith('gatewayapi')) {
    src.take(['spec', 'provider'])
    ctx.note(
      src,
      ['spec', 'provider'],
      `trafficRouting.gatewayAPI.httpRoute is ${apex}, the HTTPRoute Flagger generated`,
    )
    return { gatewayAPI: { httpRoute: apex } }
  }
  if (provider === 'linkerd' || provider === 'osm' || provider.startsWith('smi')) {
    src.take(['spec', 'provider'])
    return { smi: { trafficSplit: apex } }
  }
  if (provider === 'nginx' && typeof ingress === 'string') {
    src.take(['spec', 'provider'])
    src.take(['spec', 'ingressRef', 'name'])
    src.take(['spec', 'ingressRef', 'kind'])
    src.take(['spec', 'ingressRef', 'apiVersion'])
    return { nginx: { ingress } }
  }
  if (provider === 'kubernetes') {
    src.take(['spec', 'provider'])
    return { none: {} }
  }
  src.drop(
    ['spec', 'provider'],
    `Kanari has no ${provider} router; use gatewayAPI, istio, nginx or smi`,
  )
  return undefined
}

export function convertFlaggerCanary(
  src: Source,
  ctx: ImportContext,
  objects: FlaggerObjects,
): Doc {
  const metadata = metadataOf(src, ctx)
  const namespace = metadata.namespace as string | undefined
  const spec: Doc = {}
  const targetName = src.get(['spec', 'targetRef', 'name'])
  const targetKind = src.get(['spec', 'targetRef', 'kind'])
  const target = typeof targetName === 'string' ? targetName : String(metadata.name)
  if (targetKind === 'Deployment' && typeof targetName === 'string') {
    src.take(['spec', 'targetRef', 'kind'])
    src.take(['spec', 'targetRef', 'name'])
    const apiVersion = src.string(['spec', 'targetRef', 'apiVersion'])
    spec.workload = {
      targetRef: {
        ...(apiVersion === undefined ? {} : { apiVersion }),
        kind: 'Deployment',
        name: targetName,
      },
    }
  } else {
    src.drop(
      ['spec', 'targetRef'],
      `Kanari references a Deployment; a ${String(targetKind)} cannot be`,
    )
    spec.workload = { targetRef: { kind: 'Deployment', name: target } }
    ctx.note(
      src,
      ['spec', 'targetRef'],
      `spec.workload.targetRef is Deployment/${target}: check it names your workload`,
    )
  }
  const svc = ['spec', 'service']
  const serviceName = src.string([...svc, 'name'])
  const apex = serviceName ?? target
  spec.service = {
    port: src.number([...svc, 'port']) ?? 80,
    ...(serviceName === undefined ? {} : { name: serviceName }),
  }
  for (const key of src.keys(svc))
    if (key !== 'name' && key !== 'port') src.drop([...svc, key], SERVICE_MESH)

  const router = routerOf(src, ctx, apex)
  if (router !== undefined) spec.trafficRouting = router

  const a = src.has(['spec', 'analysis']) ? ['spec', 'analysis'] : ['spec', 'canaryAnalysis']
  const interval = src.get([...a, 'interval'])
  const intervalText =
    typeof interval === 'string' || typeof interval === 'number' ? interval : '60s'
  if (interval !== undefined) src.take([...a, 'interval'])
  const threshold = src.number([...a, 'threshold'])
  const iterations = src.get([...a, 'iterations'])
  const hasMatch = src.items([...a, 'match']).length > 0
  const mirror = src.get([...a, 'mirror']) === true
  const mirrorWeight = src.get([...a, 'mirrorWeight'])
  if (src.has([...a, 'mirror'])) src.take([...a, 'mirror'])
  const mirrorPercent = typeof mirrorWeight === 'number' && mirrorWeight > 0 ? mirrorWeight : 100
  if (typeof mirrorWeight === 'number') src.take([...a, 'mirrorWeight'])

  if (
    router !== undefined &&
    'none' in router &&
    !(typeof iterations === 'number' && iterations > 0)
  )
    ctx.note(
      src,
      ['spec', 'provider'],
      'Flagger runs the kubernetes provider as blue-green with 10 iterations; imported as such',
    )
  const blueGreenIterations =
    typeof iterations === 'number' && iterations > 0
      ? iterations
      : router !== undefined && 'none' in router
        ? 10
        : undefined
  if (typeof iterations === 'number' && iterations > 0 && hasMatch) {
    // A/B testing: matching requests go to the canary for `iterations` intervals.
    src.take([...a, 'iterations'])
    spec.strategy = {
      canary: { interval: intervalText, iterations, match: matchesOf(src, [...a, 'match']) },
    }
  } else if (blueGreenIterations !== undefined) {
    if (typeof iterations === 'number') src.take([...a, 'iterations'])
    const seconds = parseDuration(intervalText)
    const bg: Doc = {
      prePromotionAnalysis: {
        duration: typeof seconds === 'number' ? `${seconds * blueGreenIterations}s` : intervalText,
      },
    }
    if (mirror) bg.previewMirrorPercentage = mirrorPercent
    spec.strategy = { blueGreen: bg }
    src.drop([...a, 'match'], 'blue-green sends no user traffic to the preview before the switch')
  } else {
    const canary: Doc = { interval: intervalText }
    const stepWeight = src.number([...a, 'stepWeight'])
    const stepWeights = src.get([...a, 'stepWeights'])
    const maxWeight = src.number([...a, 'maxWeight'])
    if (Array.isArray(stepWeights) && stepWeights.length > 0) {
      canary.stepWeights = src.take([...a, 'stepWeights'])
      if (stepWeight !== undefined)
        src.drop([...a, 'stepWeight'], 'stepWeights is used, as Flagger does when both are given')
    } else if (stepWeight !== undefined) canary.stepWeight = stepWeight
    if (maxWeight !== undefined) canary.maxWeight = maxWeight
    if (mirror) canary.mirror = { percentage: mirrorPercent, duration: intervalText }
    spec.strategy = { canary }
    src.drop([...a, 'match'], 'Flagger matches requests only for A/B testing, with iterations')
  }
  src.drop(
    [...a, 'stepWeightPromotion'],
    'Kanari promotes at once: the new revision is already at full size',
  )
  src.drop([...a, 'primaryReadyThreshold'], 'Kanari waits for all replicas to be ready')
  src.drop([...a, 'canaryReadyThreshold'], 'Kanari waits for all replicas to be ready')
  src.drop(
    [...a, 'sessionAffinity'],
    "sticky sessions are the router's: Kanari's proxy has trafficRouting.proxy.stickiness; mesh routers have none yet",
  )

  const canaryVars: Record<string, string> = {
    name: String(metadata.name),
    namespace: namespace ?? 'default',
    target,
    service: apex,
    ...(typeof src.get(['spec', 'ingressRef', 'name']) === 'string'
      ? { ingress: src.get(['spec', 'ingressRef', 'name']) as string }
      : {}),
    ...(typeof src.get(['spec', 'routeRef', 'name']) === 'string'
      ? { route: src.get(['spec', 'routeRef', 'name']) as string }
      : {}),
  }
  const metricsServer = src.get(['spec', 'metricsServer'])
  const metrics = src.items([...a, 'metrics']).flatMap(
    (_m, i) =>
      metricOf(
        src,
        [...a, 'metrics', i],
        {
          vars: canaryVars,
          namespace,
          metricsServer: typeof metricsServer === 'string' ? metricsServer : undefined,
        },
        objects,
        ctx,
      ) ?? [],
  )
  if (typeof metricsServer === 'string') src.take(['spec', 'metricsServer'])
  spec.analysis = {
    judge: 'threshold',
    interval: intervalText,
    threshold: threshold !== undefined && threshold > 0 ? threshold : 1,
    ...(metrics.length > 0 ? { metrics } : {}),
  }
  if (threshold === undefined || threshold <= 0)
    ctx.note(src, a, 'analysis.threshold is 1, as Flagger uses when none is given')

  const webhooks = src.items([...a, 'webhooks']).flatMap((_w, i) => {
    const at = [...a, 'webhooks', i]
    const url = src.string([...at, 'url'])
    const name = src.string([...at, 'name'])
    if (url === undefined || name === undefined) {
      src.drop(at, 'a webhook needs a name and a url')
      return []
    }
    const type = src.get([...at, 'type'])
    if (typeof type === 'string') src.take([...at, 'type'])
    const out: Doc = { name, type: typeof type === 'string' && type !== '' ? type : 'rollout', url }
    const timeout = src.string([...at, 'timeout'])
    if (timeout !== undefined) out.timeout = timeout
    const metadataMap = src.get([...at, 'metadata'])
    if (metadataMap !== null && typeof metadataMap === 'object')
      out.metadata = src.take([...at, 'metadata'])
    const retries = src.number([...at, 'retries'])
    if (retries !== undefined) out.retries = retries
    src.drop(
      [...at, 'muteAlert'],
      'Kanari notifies through spec.notifications whatever the webhook says',
    )
    src.drop([...at, 'disableTLS'], 'Kanari always verifies TLS certificates')
    return [out]
  })
  if (webhooks.length > 0) spec.webhooks = webhooks

  const notifications = src.items([...a, 'alerts']).flatMap((_x, i) => {
    const at = [...a, 'alerts', i]
    const pName = src.get([...at, 'providerRef', 'name'])
    const pNamespace = src.get([...at, 'providerRef', 'namespace'])
    const provider =
      typeof pName === 'string'
        ? objects.alertProvider(pName, typeof pNamespace === 'string' ? pNamespace : namespace)
        : undefined
    if (provider === undefined) {
      src.drop(
        at,
        `AlertProvider ${String(pName)} is not among the input files; add it to -f to carry this alert over`,
      )
      return []
    }
    objects.use(provider)
    const type = provider.get(['spec', 'type'])
    if (!(NOTIFICATION_PROVIDERS as readonly unknown[]).includes(type)) {
      src.drop(
        at,
        `its AlertProvider is of type ${String(type)}: Kanari notifies slack, msteams, discord or a JSON webhook`,
      )
      return []
    }
    src.take([...at, 'providerRef'])
    const env = alertEnvName(String(pName))
    const out: Doc = {
      name: kanariName(src.string([...at, 'name']) ?? String(pName)),
      provider: type,
      urlFrom: { env },
    }
    const severity = src.string([...at, 'severity'])
    if (severity !== undefined) out.severity = severity
    ctx.note(
      src,
      at,
      `set ${env} in the daemon's environment to the webhook URL of AlertProvider ${String(pName)}: Kanari never keeps a webhook URL in a spec`,
    )
    return [out]
  })
  if (notifications.length > 0) spec.notifications = notifications

  const deadline = src.number(['spec', 'progressDeadlineSeconds'])
  if (deadline !== undefined) spec.progressDeadlineSeconds = deadline
  const suspend = src.boolean(['spec', 'suspend'])
  if (suspend !== undefined) spec.paused = suspend
  src.drop(
    ['spec', 'skipAnalysis'],
    'Kanari always analyses; `kanari promote --full` skips the steps of one release',
  )
  src.drop(['spec', 'revertOnDeletion'], 'deleting a Kanari rollout leaves the Deployment as it is')
  src.drop(['spec', 'autoscalerRef'], 'Kanari does not manage autoscalers')
  src.drop(['spec', 'ingressRef'], 'used only by the nginx provider')
  src.drop(['spec', 'routeRef'], 'Kanari has no apisix router')
  src.drop(['spec', 'upstreamRef'], 'Kanari has no gloo router')
  return { apiVersion: KANARI_API_VERSION, kind: 'Rollout', metadata, spec }
}

/** The parts of a Flagger AlertProvider Kanari cannot keep, given up with why. */
export function finishAlertProvider(src: Source): void {
  src.take(['apiVersion'])
  src.take(['kind'])
  src.take(['metadata'])
  src.take(['spec', 'type'])
  src.drop(
    ['spec', 'address'],
    'a webhook URL is a secret: Kanari reads it from the variable its notifications name (urlFrom.env)',
  )
  src.drop(
    ['spec', 'secretRef'],
    'Kanari reads the webhook URL from the variable its notifications name (urlFrom.env); put the address key of this Secret there',
  )
  src.drop(['spec', 'channel'], 'an incoming webhook posts to the channel it was made for')
  src.drop(['spec', 'username'], "Kanari posts as the webhook's own name (Discord: Kanari)")
  src.drop(['spec', 'proxy'], 'Kanari sends notifications directly')
  src.drop(['status'], 'the live state of the object, not part of a spec')
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
