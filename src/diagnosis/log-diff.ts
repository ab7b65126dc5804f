/**
 * The log diff: both sides' records clustered into templates together, counted per side over the
 * same window, and ranked — templates stable never logged first, then those the canary logs
 * significantly more often than either its share of the lines or its share of the replicas would
 * explain (a per-request message scales with traffic, a per-process one with replicas: a template is
 * reported only when neither explains it, so a healthy canary's diff is empty or nearly so).
 */
import { binomialUpperTail } from './binomial.js'
import { Drain, templateText, tokenize, valueMask, type Cluster } from './drain.js'
import { recordText } from './log-records.js'
import type { Redactor } from './redact.js'
import { REPORT_LIMITS, type LogDiff, type LogTemplate } from './report.js'
import { sourceText, stackSources } from './stack-paths.js'

export interface LogSides {
  /** The canary's records in the window, oldest first. */
  canary: string[][]
  /** Stable's records in the same window. */
  stable: string[][]
  /** Stable's records from before the window: a template found there is not new. */
  stableBefore: string[][]
  /** Whether the records were picked by time; false when whole logs were read. */
  windowed: boolean
  /** Replicas on each side, for the per-process share; unknown counts are left out. */
  canaryReplicas?: number
  stableReplicas?: number
  /** Configuration values that differ between the revisions: masked, so they do not split templates. */
  changedValues?: string[]
}

/** A template is listed as more frequent only with at least this many canary lines… */
const MIN_MORE_FREQUENT = 5
/** …at least this many times the stable rate per line… */
const MIN_RATIO = 2
/** …and a binomial p-value below this, divided among the templates tested (Bonferroni). */
const FAMILY_ALPHA = 0.001

interface Tally {
  cluster: Cluster
  canary: number
  stable: number
  stableBefore: number
  canarySamples: string[][]
  stableSamples: string[][]
}

/** Words that mark an error record; between templates with equal counts, these go first. */
const ERROR_WORDS =
  /^(error|fatal|panic|exception|traceback|critical|severe)\b|(error|exception):?$/i

function errorLike(cluster: Cluster): boolean {
  return cluster.tokens.some((t) => ERROR_WORDS.test(t))
}

function clip(text: string, max: number = REPORT_LIMITS.text): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

export function diffLogs(sides: LogSides, redactor: Redactor): LogDiff {
  const drain = new Drain()
  const values = valueMask(sides.changedValues ?? [])
  const tallies = new Map<Cluster, Tally>()
  const tally = (record: string[]): Tally => {
    const cluster = drain.add(tokenize(record, values))
    let t = tallies.get(cluster)
    if (t === undefined) {
      t = { cluster, canary: 0, stable: 0, stableBefore: 0, canarySamples: [], stableSamples: [] }
      tallies.set(cluster, t)
    }
    return t
  }
  // Stable first: templates form around what is known good, and the canary's lines are matched to them.
  for (const r of sides.stableBefore) tally(r).stableBefore++
  for (const r of sides.stable) {
    const t = tally(r)
    t.stable++
    if (t.stableSamples.length < REPORT_LIMITS.samplesPerTemplate) t.stableSamples.push(r)
  }
  for (const r of sides.canary) {
    const t = tally(r)
    t.canary++
    if (t.canarySamples.length < REPORT_LIMITS.samplesPerTemplate) t.canarySamples.push(r)
  }

  const nc = sides.canary.length
  const ns = sides.stable.length
  const lineShare = nc + ns === 0 ? 0 : nc / (nc + ns)
  const replicaShare =
    sides.canaryReplicas !== undefined &&
    sides.stableReplicas !== undefined &&
    sides.canaryReplicas + sides.stableReplicas > 0
      ? sides.canaryReplicas / (sides.canaryReplicas + sides.stableReplicas)
      : 0
  const expected = Math.max(lineShare, replicaShare)
  const inWindow = [...tallies.values()].filter((t) => t.canary + t.stable > 0)
  const tested = Math.max(1, inWindow.filter((t) => t.canary > 0).length)

  const listed: { t: Tally; isNew: boolean; ratio: number | null; p: number }[] = []
  let common = 0
  for (const t of inWindow) {
    const isNew = t.canary > 0 && t.stable === 0 && t.stableBefore === 0
    const ratio = t.stable === 0 || nc === 0 ? null : t.canary / nc / (t.stable / ns)
    const p = binomialUpperTail(t.canary, t.canary + t.stable, expected)
    const more =
      !isNew &&
      t.canary >= MIN_MORE_FREQUENT &&
      (ratio === null || ratio >= MIN_RATIO) &&
      p < FAMILY_ALPHA / tested
    if (isNew || more) listed.push({ t, isNew, ratio, p })
    else common++
  }
  listed.sort(
    (a, b) =>
      Number(b.isNew) - Number(a.isNew) ||
      (a.isNew ? b.t.canary - a.t.canary : 0) ||
      Number(errorLike(b.t.cluster)) - Number(errorLike(a.t.cluster)) ||
      a.p - b.p ||
      (b.ratio ?? Infinity) - (a.ratio ?? Infinity) ||
      a.t.cluster.index - b.t.cluster.index,
  )

  const kept = listed.slice(0, REPORT_LIMITS.templates)
  const templates = kept.map(({ t, isNew, ratio, p }, i): LogTemplate => {
    const samples = [...t.canarySamples, ...t.stableSamples]
      .slice(0, REPORT_LIMITS.samplesPerTemplate)
      .map((r) => clip(redactor.text(recordText(r))))
    const files = [
      ...new Set(t.canarySamples.flatMap((r) => stackSources(recordText(r)).map(sourceText))),
    ].slice(0, 5)
    return {
      id: `L${i + 1}`,
      template: clip(redactor.text(templateText(t.cluster.tokens))),
      canary: t.canary,
      stable: t.stable,
      newInCanary: isNew,
      ratio: ratio === null ? null : Math.round(ratio * 100) / 100,
      pValue: Number(p.toPrecision(3)),
      samples,
      files: files.map((f) => redactor.text(f)),
    }
  })
  return {
    available: true,
    note: null,
    windowed: sides.windowed,
    canaryLines: nc,
    stableLines: ns,
    templates,
    common,
    omitted: listed.length - kept.length,
  }
}
