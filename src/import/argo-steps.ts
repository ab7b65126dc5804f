/**
 * The steps of an Argo Rollouts canary as Kanari's: weights, pauses, analyses, canary scale, and
 * header and mirror routes; experiment and plugin steps are given up with why.
 */
import { analysisRefOf } from './argo-analysis.js'
import type { Doc } from './context.js'
import type { Path, Source } from './source.js'

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

export function stepOf(
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
