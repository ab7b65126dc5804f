/**
 * What the dashboard's charts plot, from the live samples: one series per revision and role ("r3
 * canary", "r2 stable"), never one "canary" line running through several releases, and the moments a
 * new release began. Pure, so the browser bundle and the unit tests share it.
 */

export type SeriesRole = 'stable' | 'canary'

/** One side of a sample, as far as a chart reads it. */
export interface ChartSide {
  revision: number
}

/** What a chart reads of one live sample (the daemon's dashboard sample has these fields). */
export interface ChartSample<S extends ChartSide = ChartSide> {
  /** Epoch ms. */
  at: number
  summary: { stableRevision: number | null; canaryRevision: number | null; canaryWeight: number }
  stable: S | null
  canary: S | null
  evidence: readonly { metric: string; logLikelihoodRatio: number }[]
}

/** One line of a chart: one revision in one role, null where a sample has no such side. */
export interface RevisionSeries {
  /** "r3 canary", "r2 stable p99": the revision always first. */
  label: string
  role: SeriesRole
  revision: number
  /** Whether the latest sample has this side: the release shown now, not an earlier one. */
  current: boolean
  /** The evidence's metric, for evidence series. */
  metric?: string
  values: (number | null)[]
}

/** Where a new release began: its revision first became the canary (or the stable, with no canary). */
export interface ReleaseBoundary {
  /** Epoch ms of the first sample of the release. */
  at: number
  revision: number
  /** "r3 released". */
  label: string
}

const ROLES: readonly SeriesRole[] = ['stable', 'canary']

/** Series in order of revision, the stable before the canary of the same revision. */
function ordered(series: Map<string, RevisionSeries>): RevisionSeries[] {
  return [...series.values()].sort(
    (a, b) => a.revision - b.revision || ROLES.indexOf(a.role) - ROLES.indexOf(b.role),
  )
}

function seriesOf(
  series: Map<string, RevisionSeries>,
  role: SeriesRole,
  revision: number,
  label: string,
  length: number,
): RevisionSeries {
  const key = `${role}\u0000${revision}\u0000${label}`
  let s = series.get(key)
  if (s === undefined) {
    s = {
      label,
      role,
      revision,
      current: false,
      values: new Array<number | null>(length).fill(null),
    }
    series.set(key, s)
  }
  return s
}

/**
 * A value of each side (error rate, p99…), a series per revision and role; `what` follows the role
 * in the label ("r3 canary p99").
 */
export function sideSeries<S extends ChartSide>(
  samples: readonly ChartSample<S>[],
  value: (side: S) => number | null,
  what = '',
): RevisionSeries[] {
  const series = new Map<string, RevisionSeries>()
  const suffix = what === '' ? '' : ` ${what}`
  samples.forEach((sample, i) => {
    for (const role of ROLES) {
      const side = sample[role]
      if (side === null) continue
      const s = seriesOf(
        series,
        role,
        side.revision,
        `r${side.revision} ${role}${suffix}`,
        samples.length,
      )
      s.values[i] = value(side)
      if (i === samples.length - 1) s.current = true
    }
  })
  return ordered(series)
}

/** The canary's traffic weight, a series per canary revision (null where there is no canary). */
export function weightSeries(samples: readonly ChartSample[]): RevisionSeries[] {
  const series = new Map<string, RevisionSeries>()
  samples.forEach((sample, i) => {
    const revision = sample.summary.canaryRevision
    if (revision === null) return
    const s = seriesOf(series, 'canary', revision, `r${revision} canary weight`, samples.length)
    s.values[i] = sample.summary.canaryWeight
    if (i === samples.length - 1) s.current = true
  })
  return ordered(series)
}

/**
 * The sequential judge's log likelihood ratio of each metric, a series per canary revision judged
 * ("r3 error-rate log LR").
 */
export function evidenceSeries(samples: readonly ChartSample[]): RevisionSeries[] {
  const series = new Map<string, RevisionSeries>()
  samples.forEach((sample, i) => {
    const revision = sample.canary?.revision ?? sample.summary.canaryRevision
    if (revision === null) return
    for (const e of sample.evidence) {
      const s = seriesOf(
        series,
        'canary',
        revision,
        `r${revision} ${e.metric} log LR`,
        samples.length,
      )
      s.metric = e.metric
      s.values[i] = e.logLikelihoodRatio
      if (i === samples.length - 1) s.current = true
    }
  })
  return ordered(series)
}

/**
 * The samples where a new release began: a new canary revision, or a new stable one that was not
 * the canary before (replaced with no canary). A promotion (the canary becoming the stable) and a
 * rollback (the canary leaving) end a release but begin none. The first sample begins none either:
 * the chart starts there.
 */
export function releaseBoundaries(samples: readonly ChartSample[]): ReleaseBoundary[] {
  const out: ReleaseBoundary[] = []
  for (let i = 1; i < samples.length; i++) {
    const before = (samples[i - 1] as ChartSample).summary
    const now = (samples[i] as ChartSample).summary
    const revision =
      now.canaryRevision !== null
        ? now.canaryRevision !== before.canaryRevision
          ? now.canaryRevision
          : null
        : now.stableRevision !== null &&
            now.stableRevision !== before.stableRevision &&
            now.stableRevision !== before.canaryRevision
          ? now.stableRevision
          : null
    if (revision !== null)
      out.push({ at: (samples[i] as ChartSample).at, revision, label: `r${revision} released` })
  }
  return out
}
