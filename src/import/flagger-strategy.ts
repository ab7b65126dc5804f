/**
 * The strategy of a Flagger Canary's analysis, chosen as Flagger chooses it: A/B testing
 * (iterations and match), blue-green (iterations, or the kubernetes provider), else the canary
 * shorthand with its weights and mirroring.
 */
import { parseDuration } from '../spec/duration.js'
import type { Doc, ImportContext } from './context.js'
import type { Path, Source } from './source.js'

/** spec.strategy for the analysis at `a`, whose interval is `interval`. */
export function strategyOf(
  src: Source,
  a: Path,
  interval: string | number,
  router: Doc | undefined,
  ctx: ImportContext,
): Doc {
  const iterations = src.get([...a, 'iterations'])
  const counted = typeof iterations === 'number' && iterations > 0
  const mirrorWeight = src.get([...a, 'mirrorWeight'])
  const mirror =
    src.get([...a, 'mirror']) === true
      ? typeof mirrorWeight === 'number' && mirrorWeight > 0
        ? mirrorWeight
        : 100
      : undefined
  if (src.has([...a, 'mirror'])) src.take([...a, 'mirror'])
  if (typeof mirrorWeight === 'number') src.take([...a, 'mirrorWeight'])
  for (const [key, reason] of [
    ['stepWeightPromotion', 'Kanari promotes at once: the new revision is already at full size'],
    ['primaryReadyThreshold', 'Kanari waits for all replicas to be ready'],
    ['canaryReadyThreshold', 'Kanari waits for all replicas to be ready'],
    [
      'sessionAffinity',
      "sticky sessions are the router's: Kanari's proxy has trafficRouting.proxy.stickiness; mesh routers have none yet",
    ],
  ] as const)
    src.drop([...a, key], reason)

  const kubernetes = router !== undefined && 'none' in router
  if (counted && src.items([...a, 'match']).length > 0) {
    // A/B testing: matching requests go to the canary for `iterations` intervals.
    src.take([...a, 'iterations'])
    return { canary: { interval, iterations, match: matchesOf(src, [...a, 'match']) } }
  }
  if (counted || kubernetes) {
    if (counted) src.take([...a, 'iterations'])
    else
      ctx.note(
        src,
        ['spec', 'provider'],
        'Flagger runs the kubernetes provider as blue-green with 10 iterations; imported as such',
      )
    const seconds = parseDuration(interval)
    const times = counted ? iterations : 10
    const bg: Doc = {
      prePromotionAnalysis: {
        duration: typeof seconds === 'number' ? `${seconds * times}s` : interval,
      },
    }
    if (mirror !== undefined) bg.previewMirrorPercentage = mirror
    src.drop([...a, 'match'], 'blue-green sends no user traffic to the preview before the switch')
    return { blueGreen: bg }
  }
  const canary: Doc = { interval }
  const stepWeight = src.number([...a, 'stepWeight'])
  const stepWeights = src.get([...a, 'stepWeights'])
  const maxWeight = src.number([...a, 'maxWeight'])
  if (Array.isArray(stepWeights) && stepWeights.length > 0) {
    canary.stepWeights = src.take([...a, 'stepWeights'])
    if (stepWeight !== undefined)
      src.drop([...a, 'stepWeight'], 'stepWeights is used, as Flagger does when both are given')
  } else if (stepWeight !== undefined) canary.stepWeight = stepWeight
  if (maxWeight !== undefined) canary.maxWeight = maxWeight
  if (mirror !== undefined) canary.mirror = { percentage: mirror, duration: interval }
  src.drop([...a, 'match'], 'Flagger matches requests only for A/B testing, with iterations')
  return { canary }
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
