/**
 * An Argo Rollouts `Rollout` as a Kanari Rollout: the workload it references, canary steps (weights,
 * pauses, analyses, header and mirror routes, canary scale), blue-green, background analysis, the
 * traffic router, and the limit judge that behaves as Argo's analysis does.
 */
import { analysisRefOf } from './argo-analysis.js'
import { KANARI_API_VERSION, metadataOf, type Doc, type ImportContext } from './context.js'
import type { Path, Source } from './source.js'

const SERVICES =
  'Kanari creates and names the services it routes between; on Kubernetes it needs only the Deployment'
const METADATA = 'Kanari does not label the pods of each role'
const AFFINITY = 'Kanari does not place pods; set affinity in the Deployment'
const HISTORY = 'Kanari keeps every revision and its status; nothing to collect'

/** Header and cookie matches in Kanari's shape from Argo's `{ headerName, headerValue }`. */
function headerMatches(src: Source, at: Path): Doc[] {
  return src.items(at).flatMap((_m, i) => {
    const name = src.string([...at, i, 'headerName'])
    const value = stringMatch(src, [...at, i, 'headerValue'])
    if (name === undefined || value === undefined) {
      src.drop([...at, i], 'a header match needs headerName and headerValue')
      return []
    }
    return [{ headerName: name, headerValue: value }]
  })
}

/** `{ exact | prefix | regex }`, taken if it has exactly one of them. */
function stringMatch(src: Source, at: Path): Doc | undefined {
  const keys = src.keys(at).filter((k) => ['exact', 'prefix', 'regex'].includes(k))
  const key = keys[0]
  if (keys.length !== 1 || key === undefined) return undefined
  const v = src.string([...at, key])
  return v === undefined ? undefined : { [key]: v }
}

/** setMirrorRoute's `match`: Argo's method/path/headers matches; Kanari mirrors by one header. */
function mirrorMatches(src: Source, at: Path): Doc[] {
  return src.items(at).flatMap((_m, i) => {
    const headers = src.keys([...at, i, 'headers'])
    const only = headers[0]
    if (
      headers.length === 1 &&
      only !== undefined &&
      !src.has([...at, i, 'method']) &&
      !src.has([...at, i, 'path'])
    ) {
      const value = stringMatch(src, [...at, i, 'headers', only])
      if (value !== undefined) return [{ headerName: only, headerValue: value }]
    }
    src.drop(
      [...at, i],
      'Kanari mirrors requests matching one header (or cookie); a match on method, path or several headers at once has no equivalent',
    )
    return []
  })
}

function stepOf(
  src: Source,
  at: Path,
  renames: ReadonlyMap<string, string>,
  uses: { analysis: boolean },
): Doc | undefined {
  const keys = src.keys(at)
  const kind = keys[0]
  if (keys.length !== 1 || kind === undefined) {
    src.drop(at, 'a step has exactly one key')
    return undefined
  }
  const here = [...at, kind]
  switch (kind) {
    case 'setWeight':
      return { setWeight: src.take(here) }
    case 'pause': {
      const duration = src.get([...here, 'duration'])
      if (duration === undefined) {
        src.take(here)
        return { pause: {} }
      }
      src.take([...here, 'duration'])
      return { pause: { duration } }
    }
    case 'analysis':
      uses.analysis = true
      return { analysis: analysisRefOf(src, here, renames) }
    case 'setCanaryScale': {
      const out: Doc = {}
      for (const key of ['replicas', 'weight', 'matchTrafficWeight']) {
        const v = src.get([...here, key])
        if (v !== undefined) out[key] = src.take([...here, key])
      }
      return { setCanaryScale: out }
    }
    case 'setHeaderRoute': {
      const out: Doc = { name: src.string([...here, 'name']) ?? '' }
      if (src.has([...here, 'match'])) out.match = headerMatches(src, [...here, 'match'])
      return { setHeaderRoute: out }
    }
    case 'setMirrorRoute': {
      const out: Doc = { name: src.string([...here, 'name']) ?? '' }
      const percentage = src.number([...here, 'percentage'])
      if (percentage !== undefined) out.percentage = percentage
      if (src.has([...here, 'match'])) out.match = mirrorMatches(src, [...here, 'match'])
      return { setMirrorRoute: out }
    }
    case 'experiment':
      src.drop(
        at,
        'Kanari runs no experiments (extra ReplicaSets beside the canary); an analysis step compares canary with stable',
      )
      return undefined
    case 'plugin':
      src.drop(at, 'Kanari has no step plugins')
      return undefined
    default:
      src.drop(at, `Kanari has no ${kind} step`)
      return undefined
  }
}

/** `trafficRouting` as Kanari's one router; what it cannot express is given up. */
function routingOf(src: Source, at: Path, ctx: ImportContext): Doc | undefined {
  const routers: Doc[] = []
  if (src.has([...at, 'istio'])) {
    const istio = [...at, 'istio']
    let vs: Path | undefined
    if (src.has([...istio, 'virtualService'])) vs = [...istio, 'virtualService']
    else if (src.items([...istio, 'virtualServices']).length > 0) {
      vs = [...istio, 'virtualServices', 0]
      src.items([...istio, 'virtualServices']).forEach((_v, i) => {
        if (i > 0)
          src.drop(
            [...istio, 'virtualServices', i],
            "Kanari's istio router updates one VirtualService",
          )
      })
    }
    if (vs !== undefined) {
      const virtualService: Doc = { name: src.string([...vs, 'name']) ?? '' }
      const routes = src.get([...vs, 'routes'])
      if (Array.isArray(routes)) virtualService.routes = src.take([...vs, 'routes'])
      src.drop([...vs, 'tlsRoutes'], "Kanari's istio router shifts HTTP routes only")
      src.drop([...vs, 'tcpRoutes'], "Kanari's istio router shifts HTTP routes only")
      routers.push({ istio: { virtualService } })
    }
    src.drop(
      [...istio, 'destinationRule'],
      "Kanari's istio router splits by the canary and stable hosts, not by DestinationRule subsets",
    )
  }
  if (src.has([...at, 'nginx'])) {
    const nginx = [...at, 'nginx']
    const stable = src.string([...nginx, 'stableIngress'])
    const others = src.items([...nginx, 'stableIngresses'])
    const ingress = stable ?? (typeof others[0] === 'string' ? others[0] : undefined)
    if (stable === undefined && ingress !== undefined) src.take([...nginx, 'stableIngresses', 0])
    others.forEach((_o, i) => {
      if (stable !== undefined || i > 0)
        src.drop([...nginx, 'stableIngresses', i], "Kanari's nginx router manages one Ingress")
    })
    for (const key of [
      'annotationPrefix',
      'additionalIngressAnnotations',
      'canaryIngressAnnotations',
    ])
      src.drop([...nginx, key], "Kanari's nginx router writes the standard canary annotations only")
    if (ingress !== undefined) routers.push({ nginx: { ingress } })
  }
  if (src.has([...at, 'smi'])) {
    const smi = [...at, 'smi']
    const name = src.string([...smi, 'trafficSplitName'])
    src.drop([...smi, 'rootService'], SERVICES)
    if (!src.has([...smi, 'trafficSplitName'])) src.take(smi)
    routers.push({ smi: name === undefined ? {} : { trafficSplit: name } })
  }
  for (const plugin of src.keys([...at, 'plugins'])) {
    const p = [...at, 'plugins', plugin]
    if (plugin !== 'argoproj-labs/gatewayAPI') {
      src.drop(p, `Kanari has no ${plugin} router`)
      continue
    }
    const route = src.string([...p, 'httpRoute'])
    const routes = src.items([...p, 'httpRoutes'])
    const first = routes[0] as { name?: unknown } | undefined
    const name = route ?? (typeof first?.name === 'string' ? first.name : undefined)
    if (route === undefined && name !== undefined) src.take([...p, 'httpRoutes', 0, 'name'])
    routes.forEach((_r, i) => {
      if (route !== undefined || i > 0)
        src.drop([...p, 'httpRoutes', i], "Kanari's gatewayAPI router manages one HTTPRoute")
    })
    const namespace = src.string([...p, 'namespace'])
    if (name !== undefined)
      routers.push({
        gatewayAPI: { httpRoute: name, ...(namespace === undefined ? {} : { namespace }) },
      })
  }
  for (const key of ['alb', 'ambassador', 'appMesh', 'traefik', 'apisix'])
    src.drop([...at, key], `Kanari has no ${key} router; use gatewayAPI, istio, nginx or smi`)
  src.drop(
    [...at, 'managedRoutes'],
    'Kanari needs no list of routes: the setHeaderRoute and setMirrorRoute steps name them',
  )
  src.drop([...at, 'maxTrafficWeight'], 'Kanari weights are percentages of 100')
  const [chosen, ...rest] = routers
  if (rest.length > 0)
    ctx.note(
      src,
      at,
      `Kanari routes through one router: kept ${Object.keys(chosen ?? {}).join('')}, not ${rest.map((r) => Object.keys(r).join('')).join(', ')}`,
    )
  return chosen
}

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

  // The workload: a Deployment referenced, or (from an inline pod template) one to create.
  const ref = ['spec', 'workloadRef']
  const refKind = src.get([...ref, 'kind'])
  const refName = src.get([...ref, 'name'])
  if (refKind === 'Deployment' && typeof refName === 'string') {
    src.take([...ref, 'kind'])
    src.take([...ref, 'name'])
    const apiVersion = src.string([...ref, 'apiVersion'])
    spec.workload = {
      targetRef: {
        ...(apiVersion === undefined ? {} : { apiVersion }),
        kind: 'Deployment',
        name: refName,
      },
    }
    src.drop(
      [...ref, 'scaleDown'],
      'Kanari never scales the referenced Deployment itself; it runs its own copy per revision',
    )
  } else {
    spec.workload = { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name } }
    if (src.has(ref))
      src.drop(ref, `Kanari references a Deployment; a ${String(refKind)} cannot be referenced`)
    ctx.note(
      src,
      src.has(ref) ? ref : ['spec', 'template'],
      `spec.workload.targetRef is Deployment/${name}: create that Deployment from the pod template (Kanari references a Deployment rather than embedding a pod template)`,
    )
  }
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
