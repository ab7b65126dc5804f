/**
 * A Flagger `Canary` as a Kanari Rollout: the target, the service, the router, the analysis as the
 * Flagger shorthand (or A/B, or blue-green) with the threshold judge, its metrics, webhooks and
 * alerts — each read by its own module.
 */
import { KANARI_API_VERSION, metadataOf, type Doc, type ImportContext } from './context.js'
import { notificationsOf, webhooksOf } from './flagger-alerts.js'
import { metricOf, type MetricScope } from './flagger-metrics.js'
import type { FlaggerObjects } from './flagger-objects.js'
import { routerOf } from './flagger-router.js'
import { strategyOf } from './flagger-strategy.js'
import type { Path, Source } from './source.js'

export type { FlaggerObjects } from './flagger-objects.js'

const SERVICE_MESH =
  'Kanari references an existing routing object and does not generate Services or mesh configuration; configure it there'

/** spec.workload from `targetRef`; `target` is the name Flagger's variables call it by. */
function workloadOf(
  src: Source,
  ctx: ImportContext,
  fallback: string,
): { workload: Doc; target: string } {
  const targetName = src.get(['spec', 'targetRef', 'name'])
  const targetKind = src.get(['spec', 'targetRef', 'kind'])
  const target = typeof targetName === 'string' ? targetName : fallback
  if (targetKind === 'Deployment' && typeof targetName === 'string') {
    src.take(['spec', 'targetRef', 'kind'])
    src.take(['spec', 'targetRef', 'name'])
    const apiVersion = src.string(['spec', 'targetRef', 'apiVersion'])
    const targetRef = {
      ...(apiVersion === undefined ? {} : { apiVersion }),
      kind: 'Deployment',
      name: targetName,
    }
    return { workload: { targetRef }, target }
  }
  src.drop(
    ['spec', 'targetRef'],
    `Kanari references a Deployment; a ${String(targetKind)} cannot be`,
  )
  ctx.note(
    src,
    ['spec', 'targetRef'],
    `spec.workload.targetRef is Deployment/${target}: check it names your workload`,
  )
  return { workload: { targetRef: { kind: 'Deployment', name: target } }, target }
}

/** spec.service: its port and name; what Flagger would generate from the rest is given up. */
function serviceOf(src: Source, target: string): { service: Doc; apex: string } {
  const svc = ['spec', 'service']
  const serviceName = src.string([...svc, 'name'])
  const service = {
    port: src.number([...svc, 'port']) ?? 80,
    ...(serviceName === undefined ? {} : { name: serviceName }),
  }
  for (const key of src.keys(svc))
    if (key !== 'name' && key !== 'port') src.drop([...svc, key], SERVICE_MESH)
  return { service, apex: serviceName ?? target }
}

/** Where the metrics' queries are read against: Flagger's template variables and Prometheus. */
function metricScopeOf(src: Source, metadata: Doc, target: string, apex: string): MetricScope {
  const namespace = metadata.namespace as string | undefined
  const vars: Record<string, string> = {
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
  return {
    vars,
    namespace,
    metricsServer: typeof metricsServer === 'string' ? metricsServer : undefined,
  }
}

/** spec.analysis: the threshold judge over the Canary's metrics, at its interval. */
function analysisOf(
  src: Source,
  a: Path,
  interval: string | number,
  scope: MetricScope,
  objects: FlaggerObjects,
  ctx: ImportContext,
): Doc {
  const metrics = src
    .items([...a, 'metrics'])
    .flatMap((_m, i) => metricOf(src, [...a, 'metrics', i], scope, objects, ctx) ?? [])
  if (scope.metricsServer !== undefined) src.take(['spec', 'metricsServer'])
  const threshold = src.number([...a, 'threshold'])
  const analysis = {
    judge: 'threshold',
    interval,
    threshold: threshold !== undefined && threshold > 0 ? threshold : 1,
    ...(metrics.length > 0 ? { metrics } : {}),
  }
  if (threshold === undefined || threshold <= 0)
    ctx.note(src, a, 'analysis.threshold is 1, as Flagger uses when none is given')
  return analysis
}

/** The Canary's life: its deadline and pause carried over, Flagger's other switches given up. */
function lifecycleOf(src: Source, spec: Doc): void {
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
  src.drop(['spec', 'ingressRef'], 'used only by the nginx and skipper providers')
  src.drop(['spec', 'routeRef'], 'Kanari has no apisix router')
  src.drop(['spec', 'upstreamRef'], 'Kanari has no gloo router')
}

export function convertFlaggerCanary(
  src: Source,
  ctx: ImportContext,
  objects: FlaggerObjects,
): Doc {
  const metadata = metadataOf(src, ctx)
  const { workload, target } = workloadOf(src, ctx, String(metadata.name))
  const { service, apex } = serviceOf(src, target)
  const spec: Doc = { workload, service }

  const router = routerOf(src, ctx, apex)
  if (router !== undefined) spec.trafficRouting = router

  const a = src.has(['spec', 'analysis']) ? ['spec', 'analysis'] : ['spec', 'canaryAnalysis']
  const interval = src.get([...a, 'interval'])
  const intervalText =
    typeof interval === 'string' || typeof interval === 'number' ? interval : '60s'
  if (interval !== undefined) src.take([...a, 'interval'])
  spec.strategy = strategyOf(src, a, intervalText, router, ctx)

  const scope = metricScopeOf(src, metadata, target, apex)
  spec.analysis = analysisOf(src, a, intervalText, scope, objects, ctx)
  const webhooks = webhooksOf(src, a)
  if (webhooks.length > 0) spec.webhooks = webhooks
  const notifications = notificationsOf(src, a, scope.namespace, objects, ctx)
  if (notifications.length > 0) spec.notifications = notifications

  lifecycleOf(src, spec)
  return { apiVersion: KANARI_API_VERSION, kind: 'Rollout', metadata, spec }
}
