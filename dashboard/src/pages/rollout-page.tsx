/**
 * One rollout, live: phase and message, actions, the steps with the current one marked, charts of
 * the canary's weight, error rates, p99 latency and the sequential judge's evidence with each
 * decision marked, the process table, replicas per revision and the events.
 */
import { useCallback, useEffect, useMemo, useState } from 'react'
import {
  ApiError,
  api,
  type MetricEvidence,
  type RolloutSample,
  type RolloutView,
  type StoredEvent,
} from '../api.js'
import { Actions } from '../components/actions.js'
import { Decisions, Events, ProcessTable, Replicas, Steps } from '../components/panels.js'
import {
  TimeChart,
  type Boundary,
  type ChartSeries,
  type Decision,
} from '../components/time-chart.js'
import {
  evidenceSeries as evidenceLines,
  releaseBoundaries,
  sideSeries,
  weightSeries as weightLines,
  type RevisionSeries,
} from '../../../src/report/chart-series.js'
import { PHASE_GLYPH, PHASE_WORDS, ms, percent } from '../format.js'
import { live, useLive } from '../live.js'
import { href } from '../route.js'

const STABLE = '#0072b2'
const CANARY = '#e69f00'
const BOUND = '#7f7f7f'
const EVIDENCE_COLORS = ['#cc79a7', '#009e73', '#56b4e9', '#d55e00']

/**
 * A revision's line: stable solid, canary dashed; an earlier release's lines (not in the latest
 * sample) fainter and finely dotted, so they never read as the release shown now.
 */
function styled(s: RevisionSeries, color: string): ChartSeries {
  const dash = s.current ? (s.role === 'canary' ? [8, 4] : undefined) : [2, 3]
  return {
    label: s.label,
    color: s.current ? color : `${color}80`,
    ...(dash === undefined ? {} : { dash }),
    values: s.values,
  }
}

const roleColor = (s: RevisionSeries) => (s.role === 'canary' ? CANARY : STABLE)

/** `r3 canary 1.0%, r2 stable 0.0%`: the latest sample's sides, each with its revision. */
function latestSides(
  last: RolloutSample | undefined,
  show: (side: NonNullable<RolloutSample['canary']>) => string,
): string {
  const sides = (['canary', 'stable'] as const).flatMap((role) => {
    const side = last?.[role]
    return side === null || side === undefined ? [] : [`r${side.revision} ${role} ${show(side)}`]
  })
  return sides.length === 0 ? 'no traffic yet' : sides.join(', ')
}

const VERDICTS = new Set([
  'AnalysisSuccessful',
  'AnalysisFailed',
  'AnalysisError',
  'AnalysisInconclusive',
  'RolledBack',
  'Promoted',
])

/** The events of the latest release: from its NewRevision on (as the process table reads them). */
function releaseEvents(events: StoredEvent[]): StoredEvent[] {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]
    if (e?.reason === 'NewRevision' && !e.first) return events.slice(i)
  }
  return events
}

/**
 * The sequential judge's evidence when it gave a verdict: the verdict event carries it as the run
 * ended; for events stored before it did, the first sample after the verdict that still has the run
 * (else the last one before it).
 */
function evidenceAt(e: StoredEvent, samples: RolloutSample[]): string | undefined {
  if (!('run' in e)) return undefined
  const runId = e.run.id
  const ofRun = (s: RolloutSample) => s.evidence.filter((x) => x.runId === runId)
  const after = samples.find((s) => s.at >= e.at && ofRun(s).length > 0)
  const before = samples.findLast((s) => s.at < e.at && ofRun(s).length > 0)
  const fromSamples = after ?? before
  const evidence: MetricEvidence[] | undefined =
    'evidence' in e && e.evidence.length > 0
      ? e.evidence
      : fromSamples === undefined
        ? undefined
        : ofRun(fromSamples)
  if (evidence === undefined) return undefined
  return evidence
    .map((x) => {
      const crossed = x.logLikelihoodRatio >= x.logBound
      const p = Math.min(1, Math.exp(-x.logLikelihoodRatio)).toPrecision(2)
      return `${x.metric}: likelihood ratio ${Math.exp(x.logLikelihoodRatio).toPrecision(3)} ${crossed ? '≥' : '<'} bound ${Math.exp(x.logBound).toPrecision(3)} (p ${crossed ? '≤' : '≈'} ${p})`
    })
    .join('; ')
}

function decisionsOf(events: StoredEvent[], samples: RolloutSample[]): Decision[] {
  return events.flatMap((e) => {
    if (!VERDICTS.has(e.reason)) return []
    const explanation =
      'explanation' in e
        ? e.explanation
        : e.reason === 'Promoted'
          ? 'byUser' in e && e.byUser
            ? 'promoted by a user'
            : 'every step passed'
          : e.message
    const evidence = evidenceAt(e, samples)
    return [
      {
        at: e.at / 1000,
        reason: e.reason,
        explanation,
        ...(evidence === undefined ? {} : { evidence }),
      },
    ]
  })
}

export function RolloutPage({ name }: { name: string }) {
  const [view, setView] = useState<RolloutView | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [highlighted, setHighlighted] = useState<number | undefined>(undefined)
  useLive()
  const samples = live.samples(name)

  const load = useCallback(() => {
    api.view(name).then(
      (v) => {
        setView(v)
        setError(undefined)
      },
      (err: unknown) =>
        setError(
          err instanceof ApiError
            ? `${err.message}${err.hint === undefined ? '' : ` — ${err.hint}`}`
            : String(err),
        ),
    )
  }, [name])

  useEffect(() => {
    load()
    void live.watchSamples(name).catch(() => undefined)
    let timer: number | undefined
    const soon = () => {
      window.clearTimeout(timer)
      timer = window.setTimeout(load, 100)
    }
    const offEvent = live.onEvent((e) => {
      if (e.rollout === name) soon()
    })
    const offResync = live.onResync(() => {
      load()
      void live.watchSamples(name).catch(() => undefined)
    })
    return () => {
      window.clearTimeout(timer)
      offEvent()
      offResync()
    }
  }, [name, load])

  const release = useMemo(() => (view === undefined ? [] : releaseEvents(view.events)), [view])
  const decisions = useMemo(() => decisionsOf(release, samples), [release, samples])
  const times = useMemo(() => samples.map((s) => s.at / 1000), [samples])
  const boundaries = useMemo<Boundary[]>(
    () => releaseBoundaries(samples).map((b) => ({ at: b.at / 1000, label: b.label })),
    [samples],
  )
  const weightSeries = useMemo<ChartSeries[]>(
    () => weightLines(samples).map((s) => styled(s, CANARY)),
    [samples],
  )
  const errorSeries = useMemo<ChartSeries[]>(
    () => sideSeries(samples, (side) => side.errorRatePercent).map((s) => styled(s, roleColor(s))),
    [samples],
  )
  const latencySeries = useMemo<ChartSeries[]>(
    () =>
      sideSeries(samples, (side) => side.latencyP99Ms, 'p99').map((s) => styled(s, roleColor(s))),
    [samples],
  )
  const evidenceSeries = useMemo<ChartSeries[]>(() => {
    const lines = evidenceLines(samples)
    const metrics = [...new Set(lines.map((s) => s.metric))]
    return [
      ...lines.map((s) =>
        styled(s, EVIDENCE_COLORS[metrics.indexOf(s.metric) % EVIDENCE_COLORS.length] ?? STABLE),
      ),
      {
        label: 'bound (fails the canary)',
        color: BOUND,
        dash: [3, 3],
        values: samples.map((s) => s.evidence[0]?.logBound ?? null),
      },
    ]
  }, [samples])
  const hasEvidence = evidenceSeries.length > 1

  if (view === undefined)
    return (
      <section>
        <p>
          <a href={href.list()}>← all rollouts</a>
        </p>
        <p role="alert">{error ?? `Loading ${name}…`}</p>
      </section>
    )

  const st = view.status
  const last = samples.at(-1)
  const weightNow = last?.summary.canaryWeight ?? st.traffic.canaryWeight
  const replicas =
    last?.replicas ??
    view.versions.map((v) => ({
      revision: v.revision,
      role: v.role as 'stable' | 'canary' | 'old',
      desired: v.desired,
      ready: v.ready,
    }))

  return (
    <article className="rollout" aria-labelledby="rollout-title" data-phase={st.phase}>
      <p className="crumbs">
        <a href={href.list()}>← all rollouts</a> ·{' '}
        <a href={href.whatIf(name)} id="what-if-link">
          What if…? (simulate this rollout)
        </a>
      </p>
      <header className="rollout-head">
        <h1 id="rollout-title">{name}</h1>
        <span className={`phase phase-${st.phase}`} id="phase">
          <span aria-hidden="true">{PHASE_GLYPH[st.phase] ?? '•'}</span>{' '}
          {st.pause?.reason === 'Frozen' ? 'Frozen' : (PHASE_WORDS[st.phase] ?? st.phase)}
        </span>
        <p className="message" id="message">
          {st.message}
        </p>
        <dl className="facts">
          <div>
            <dt>stable</dt>
            <dd>{st.stableRevision === null ? '—' : `r${st.stableRevision}`}</dd>
          </div>
          <div>
            <dt>canary</dt>
            <dd>{st.canaryRevision === null ? '—' : `r${st.canaryRevision}`}</dd>
          </div>
          <div>
            <dt>canary weight</dt>
            <dd id="weight-now">{weightNow}%</dd>
          </div>
          <div>
            <dt>service</dt>
            <dd>
              <a href={view.serviceUrl}>{view.serviceUrl}</a>
            </dd>
          </div>
        </dl>
      </header>
      {error === undefined ? null : (
        <p className="stale" role="alert">
          Could not refresh: {error}
        </p>
      )}
      <Actions view={view} onDone={load} />
      <div className="rollout-grid">
        <div className="col-main">
          <Steps view={view} />
          <section aria-labelledby="charts-title">
            <h2 id="charts-title">Over time</h2>
            <p className="hint">
              Each point covers the last {last?.windowSeconds ?? 5} s. Vertical lines are decisions:
              hover one, or read them under “Decisions”.
            </p>
            <div className="charts">
              <TimeChart
                id="chart-weight"
                title="Canary weight"
                unit="%"
                yMax={100}
                times={times}
                series={weightSeries}
                decisions={decisions}
                boundaries={boundaries}
                highlighted={highlighted}
                latest={`${weightNow}%`}
              />
              <TimeChart
                id="chart-errors"
                title="Error rate, canary vs stable"
                unit="%"
                times={times}
                series={errorSeries}
                decisions={decisions}
                boundaries={boundaries}
                highlighted={highlighted}
                latest={latestSides(last, (side) => percent(side.errorRatePercent))}
              />
              <TimeChart
                id="chart-latency"
                title="Latency p99, canary vs stable"
                unit=" ms"
                times={times}
                series={latencySeries}
                decisions={decisions}
                boundaries={boundaries}
                highlighted={highlighted}
                latest={latestSides(last, (side) => ms(side.latencyP99Ms))}
              />
              {hasEvidence && (
                <TimeChart
                  id="chart-evidence"
                  title="Sequential judge: evidence against the canary (log likelihood ratio)"
                  unit=""
                  times={times}
                  series={evidenceSeries}
                  decisions={decisions}
                  boundaries={boundaries}
                  highlighted={highlighted}
                  latest={
                    last?.evidence.length
                      ? last.evidence
                          .map(
                            (e) =>
                              `${e.metric} ${e.logLikelihoodRatio.toFixed(2)} of ${e.logBound.toFixed(2)}`,
                          )
                          .join(', ')
                      : 'no analysis running'
                  }
                />
              )}
            </div>
          </section>
          <section aria-labelledby="process-title">
            <h2 id="process-title">Release process</h2>
            <ProcessTable rows={view.processTable} />
          </section>
        </div>
        <div className="col-side">
          <Decisions decisions={decisions} onHighlight={setHighlighted} />
          <Replicas replicas={replicas} />
        </div>
      </div>
      <Events events={view.events} />
    </article>
  )
}
