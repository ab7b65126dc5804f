/**
 * An Argo Rollouts `Rollout` as a Kanari Rollout: the workload it references, canary steps (weights,
 * pauses, analyses, header and mirror routes, canary scale), blue-green, background analysis, the
 * traffic router, and the limit judge that behaves as Argo's analysis does.
 */
import { analysisRefOf } from './argo-analysis.js'
import { routingOf, SERVICES } from './argo-routing.js'
import { stepOf } from './argo-steps.js'
import { KANARI_API_VERSION, metadataOf, type Doc, type ImportContext } from './context.js'
import type { Path, Source } from './source.js'

const METADATA = 'Kanari does not label the pods of each role'
const AFFINITY = 'Kanari does not place pods; set affinity in the Deployment'
const HISTORY = 'Kanari keeps every revision and its status; nothing to collect'

function canaryOf(
  src: Source,
  at: Path,
  renames: ReadonlyMap<string, string>,
  ctx: ImportContext,
  out: { spec: Doc; usesAnalysis: boolean },
): Doc {
  const steps: Doc[] = []
  const uses = { analysis: false }
  src.items([...at, 'steps']).forEach((_s, i) => {
    const step = stepOf(src, [...at, 'steps', i], renames, uses)
    if (step !== undefined) steps.push(step)
  })
  if (src.has([...at, 'steps']) && src.items([...at, 'steps']).length === 0)
    src.take([...at, 'steps'])
  src.drop([...at, 'canaryService'], SERVICES)
  src.drop([...at, 'stableService'], SERVICES)
  src.drop([...at, 'pingPong'], SERVICES)
  if (src.has([...at, 'trafficRouting'])) {
    const routing = routingOf(src, [...at, 'trafficRouting'], ctx)
    if (routing !== undefined) out.spec.trafficRouting = routing
  }
  if (src.has([...at, 'analysis'])) {
    const bg = analysisRefOf(src, [...at, 'analysis'], renames)
    const starting = src.number([...at, 'analysis', 'startingStep'])
    out.spec.analysis = { ...bg, ...(starting === undefined ? {} : { startingStep: starting }) }
    out.usesAnalysis = true
  }
  out.usesAnalysis ||= uses.analysis
  src.drop([...at, 'antiAffinity'], AFFINITY)
  src.drop([...at, 'canaryMetadata'], METADATA)
  src.drop([...at, 'stableMetadata'], METADATA)
  src.drop([...at, 'dynamicStableScale'], 'Kanari keeps stable at full size until promotion')
  src.drop(
    [...at, 'minPodsPerReplicaSet'],
    'Kanari sizes the canary from replicas or setCanaryScale',
  )
  src.drop(
    [...at, 'replicaProgressThreshold'],
    "Kanari waits for all of a step's replicas to be ready",
  )
  src.drop(
    [...at, 'scaleDownDelayRevisionLimit'],
    'Kanari scales every old revision down after its delay',
  )
  if (steps.length === 0) {
    // Argo's canary without steps is a rolling update.
    const rolling: Doc = {}
    for (const key of ['maxSurge', 'maxUnavailable']) {
      const v = src.get([...at, key])
      if (v !== undefined) rolling[key] = src.take([...at, key])
    }
    for (const key of ['scaleDownDelaySeconds', 'abortScaleDownDelaySeconds'])
      src.drop([...at, key], 'a rolling update keeps no old replicas to delay')
    ctx.note(src, at, 'a canary without steps is a rolling update: imported as strategy.rolling')
    return { rolling }
  }
  for (const key of ['maxSurge', 'maxUnavailable'])
    src.drop(
      [...at, key],
      "Kanari's canary runs each revision at its own size (replicas or setCanaryScale)",
    )
  const canary: Doc = { steps }
  for (const key of ['scaleDownDelaySeconds', 'abortScaleDownDelaySeconds']) {
    const v = src.number([...at, key])
    if (v !== undefined) canary[key] = v
  }
  return { canary }
}

function blueGreenOf(
  src: Source,
  at: Path,
  renames: ReadonlyMap<string, string>,
  out: { usesAnalysis: boolean },
): Doc {
  src.drop([...at, 'activeService'], SERVICES)
  src.drop([...at, 'previewService'], SERVICES)
  const bg: Doc = {}
  for (const key of [
    'autoPromotionEnabled',
    'autoPromotionSeconds',
    'previewReplicaCount',
    'scaleDownDelaySeconds',
  ]) {
    const v = src.get([...at, key])
    if (typeof v === 'number' || typeof v === 'boolean') bg[key] = src.take([...at, key])
  }
  for (const key of ['prePromotionAnalysis', 'postPromotionAnalysis']) {
    if (!src.has([...at, key])) continue
    bg[key] = analysisRefOf(src, [...at, key], renames)
    out.usesAnalysis = true
  }
  src.drop(
    [...at, 'abortScaleDownDelaySeconds'],
    "Kanari's blue-green scales an aborted preview down at once",
  )
  src.drop(
    [...at, 'scaleDownDelayRevisionLimit'],
    'Kanari scales every old revision down after its delay',
  )
  src.drop([...at, 'maxUnavailable'], 'Kanari brings the preview up at full size before the switch')
  src.drop([...at, 'antiAffinity'], AFFINITY)
  src.drop([...at, 'previewMetadata'], METADATA)
  src.drop([...at, 'activeMetadata'], METADATA)
  return { blueGreen: bg }
}

/** The first container port of the pod template, for spec.service.port. */
function containerPort(src: Source): number | undefined {
  const containers = src.items(['spec', 'template', 'spec', 'containers'])
  for (const c of containers) {
    const ports = (c as { ports?: { containerPort?: unknown }[] }).ports ?? []
    const port = ports[0]?.containerPort
    if (typeof port === 'number') return port
  }
  return undefined
}

/** spec.workload: the Deployment referenced, or (from an inline pod template) one to create. */
function workloadOf(src: Source, ctx: ImportContext, name: string): Doc {
  const ref = ['spec', 'workloadRef']
  const refKind = src.get([...ref, 'kind'])
  const refName = src.get([...ref, 'name'])
  if (refKind === 'Deployment' && typeof refName === 'string') {
    src.take([...ref, 'kind'])
    src.take([...ref, 'name'])
    const apiVersion = src.string([...ref, 'apiVersion'])
    const targetRef = {
      ...(apiVersion === undefined ? {} : { apiVersion }),
      kind: 'Deployment',
      name: refName,
    }
    src.drop(
      [...ref, 'scaleDown'],
      'Kanari never scales the referenced Deployment itself; it runs its own copy per revision',
    )
    return { targetRef }
  }
  if (src.has(ref))
    src.drop(ref, `Kanari references a Deployment; a ${String(refKind)} cannot be referenced`)
  ctx.note(
    src,
    src.has(ref) ? ref : ['spec', 'template'],
    `spec.workload.targetRef is Deployment/${name}: create that Deployment from the pod template (Kanari references a Deployment rather than embedding a pod template)`,
  )
  return { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name } }
}

export function convertArgoRollout(
  src: Source,
  ctx: ImportContext,
  renames: ReadonlyMap<string, string>,
): Doc {
  const metadata = metadataOf(src, ctx)
  const name = String(metadata.name)
  const spec: Doc = {}
  const replicas = src.number(['spec', 'replicas'])
  if (replicas !== undefined) spec.replicas = replicas

  spec.workload = workloadOf(src, ctx, name)
  const port = containerPort(src)
  src.drop(
    ['spec', 'template'],
    'Kanari references a Deployment instead of embedding a pod template; put the template in the Deployment named by spec.workload.targetRef',
  )
  src.drop(['spec', 'selector'], 'the Deployment named by spec.workload.targetRef selects the pods')
  spec.service = { port: port ?? 80 }
  ctx.note(
    src,
    ['spec'],
    port === undefined
      ? "spec.service.port is 80: a Rollout of Argo Rollouts has no port; set it to your Service's port"
      : `spec.service.port is ${port}, the first container port of the pod template`,
  )

  const out = { spec, usesAnalysis: false }
  const strategy = ['spec', 'strategy']
  if (src.has([...strategy, 'canary']))
    spec.strategy = canaryOf(src, [...strategy, 'canary'], renames, ctx, out)
  else if (src.has([...strategy, 'blueGreen']))
    spec.strategy = blueGreenOf(src, [...strategy, 'blueGreen'], renames, out)
  else {
    spec.strategy = { rolling: {} }
    ctx.note(src, strategy, 'no canary or blueGreen strategy: imported as strategy.rolling')
  }
  if (out.usesAnalysis) {
    // Argo judges each metric by its own count and limits: Kanari's limit judge.
    spec.analysis = { judge: 'limit', ...(spec.analysis ?? {}) }
  }

  const paused = src.boolean(['spec', 'paused'])
  if (paused !== undefined) spec.paused = paused
  const deadline = src.number(['spec', 'progressDeadlineSeconds'])
  if (deadline !== undefined) spec.progressDeadlineSeconds = deadline
  // Argo only reports a missed deadline unless told to abort; Kanari aborts unless told not to.
  spec.progressDeadlineAbort = src.boolean(['spec', 'progressDeadlineAbort']) ?? false
  src.drop(
    ['spec', 'minReadySeconds'],
    'Kanari counts a replica ready when its readiness probe passes',
  )
  src.drop(['spec', 'revisionHistoryLimit'], HISTORY)
  src.drop(['spec', 'analysis'], HISTORY)
  src.drop(['spec', 'restartAt'], 'Kanari has no scheduled restarts')
  src.drop(
    ['spec', 'rollbackWindow'],
    "Kanari rolls back to any revision with `kanari undo --to-revision N`; it skips steps only for stable's own template",
  )
  return { apiVersion: KANARI_API_VERSION, kind: 'Rollout', metadata, spec }
}
