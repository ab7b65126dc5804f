/**
 * The parts of a rollout's page that are plain tables and lists: its steps with the current (or
 * failed) one marked, the release's process table, replicas per revision, the decisions with their
 * explanations, and the events.
 */
import type { CanaryStep } from '../../../src/engine/plan.js'
import type { ProcessRow } from '../../../src/report/process-table.js'
import type { ReplicaSample } from '../../../src/local/daemon/dashboard/wire.js'
import type { RolloutView, StoredEvent } from '../api.js'
import { clock, verdictWords } from '../format.js'
import type { Decision } from './time-chart.js'

export function stepText(step: CanaryStep): string {
  switch (step.kind) {
    case 'setWeight':
      return `send ${step.weight}% of users to the canary`
    case 'pause':
      return step.durationSeconds === undefined
        ? 'pause until promoted'
        : `pause ${step.durationSeconds}s`
    case 'analysis':
      return `analysis: ${step.analysis.metrics.map((m) => m.name).join(', ')} (${step.analysis.judge} judge)`
    case 'setHeaderRoute':
      return `header route ${step.name}`
    case 'setMirrorRoute':
      return `mirror ${step.percentage}% (${step.name})`
    case 'setCanaryScale':
      return 'set canary scale'
  }
}

type StepState = 'done' | 'current' | 'failed' | 'pending'

export function stepStates(view: RolloutView): StepState[] {
  const s = view.plan.strategy
  if (s.kind !== 'canary') return []
  const st = view.status
  const rolledBack =
    st.phase === 'RolledBack' &&
    st.lastOutcome?.result === 'RolledBack' &&
    st.lastOutcome.revision === st.revision
  const inFlight = st.canaryRevision !== null && !rolledBack
  return s.steps.map((_, i) => {
    if (rolledBack) {
      const failed = st.lastOutcome?.stepIndex ?? st.currentStepIndex
      return i < failed ? 'done' : i === failed ? 'failed' : 'pending'
    }
    if (!inFlight) return st.phase === 'Healthy' ? 'done' : 'pending'
    return i < st.currentStepIndex ? 'done' : i === st.currentStepIndex ? 'current' : 'pending'
  })
}

const STATE_WORDS: Record<StepState, string> = {
  done: '✓ done',
  current: '▶ now',
  failed: '✗ failed here',
  pending: '',
}

export function Steps({ view }: { view: RolloutView }) {
  const s = view.plan.strategy
  if (s.kind !== 'canary')
    return (
      <section aria-labelledby="steps-title">
        <h2 id="steps-title">Strategy</h2>
        <p>
          {s.kind === 'blueGreen'
            ? 'Blue-green: preview, analysis, then the switch.'
            : 'Rolling update.'}
        </p>
      </section>
    )
  const states = stepStates(view)
  return (
    <section aria-labelledby="steps-title">
      <h2 id="steps-title">Steps</h2>
      <ol className="steps" id="steps">
        {s.steps.map((step, i) => {
          const state = states[i] ?? 'pending'
          return (
            <li
              key={i}
              data-step-index={i}
              data-state={state}
              className={`step step-${state}`}
              {...(state === 'current' || state === 'failed'
                ? { 'aria-current': 'step' as const }
                : {})}
            >
              <span className="step-n">{i + 1}</span>
              <span className="step-text">{stepText(step)}</span>
              <span className="step-state">{STATE_WORDS[state]}</span>
            </li>
          )
        })}
      </ol>
    </section>
  )
}

/**
 * The release's process table. `compact` (the what-if columns, side by side) keeps the step, time,
 * action, users on the new version and the monitoring result.
 */
export function ProcessTable({
  rows,
  id = 'process-table',
  compact = false,
}: {
  rows: ProcessRow[]
  id?: string
  compact?: boolean
}) {
  if (rows.length === 0)
    return <p className="empty">No release yet: the first revision deploys without steps.</p>
  return (
    <div className="table-wrap">
      <table className={compact ? 'process compact' : 'process'} id={id}>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">At</th>
            <th scope="col">Action</th>
            {compact ? null : <th scope="col">Version state</th>}
            <th scope="col">Users on new</th>
            <th scope="col">Monitoring</th>
            {compact ? null : <th scope="col">Next</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.step}>
              <td className="num">{r.step}</td>
              <td className="num">{r.atSeconds}s</td>
              <td>{r.action}</td>
              {compact ? null : <td>{r.versionState}</td>}
              <td className="num">
                {r.canaryPercent}%{r.userGroup === undefined ? '' : ` + ${r.userGroup}`}
              </td>
              <td>
                {r.monitoring}
                {r.detail === '' || compact ? null : <div className="detail">{r.detail}</div>}
              </td>
              {compact ? null : <td>{r.next}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

export function Replicas({ replicas }: { replicas: ReplicaSample[] }) {
  return (
    <section aria-labelledby="replicas-title">
      <h2 id="replicas-title">Replicas per revision</h2>
      {replicas.length === 0 ? (
        <p className="empty">No replicas.</p>
      ) : (
        <table className="replicas" id="replicas">
          <thead>
            <tr>
              <th scope="col">Revision</th>
              <th scope="col">Role</th>
              <th scope="col">Ready / desired</th>
            </tr>
          </thead>
          <tbody>
            {replicas.map((r) => (
              <tr key={r.revision} data-revision={r.revision}>
                <th scope="row">r{r.revision}</th>
                <td>
                  <span className={`role role-${r.role}`}>{r.role}</span>
                </td>
                <td>
                  <span className="pips" aria-hidden="true">
                    {Array.from({ length: Math.min(Math.max(r.desired, r.ready), 12) }, (_, i) => (
                      <span key={i} className={i < r.ready ? 'pip ready' : 'pip'} />
                    ))}
                  </span>{' '}
                  {r.ready} / {r.desired}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

export function Decisions({
  decisions,
  onHighlight,
}: {
  decisions: Decision[]
  onHighlight: (at: number | undefined) => void
}) {
  return (
    <section aria-labelledby="decisions-title">
      <h2 id="decisions-title">Decisions</h2>
      {decisions.length === 0 ? (
        <p className="empty">No verdict yet in this release.</p>
      ) : (
        <ul className="decisions" id="decisions">
          {[...decisions].reverse().map((d) => {
            const v = verdictWords(d.reason)
            return (
              <li
                key={`${d.at}-${d.reason}`}
                tabIndex={0}
                className={`decision tone-${v.tone}`}
                data-reason={d.reason}
                onFocus={() => onHighlight(d.at)}
                onBlur={() => onHighlight(undefined)}
                onMouseEnter={() => onHighlight(d.at)}
                onMouseLeave={() => onHighlight(undefined)}
              >
                <span className="decision-head">
                  <span aria-hidden="true">{v.glyph}</span> {v.words}{' '}
                  <time>{clock(d.at * 1000)}</time>
                </span>
                <span className="explanation">{d.explanation}</span>
                {d.evidence === undefined ? null : <span className="evidence">{d.evidence}</span>}
              </li>
            )
          })}
        </ul>
      )}
    </section>
  )
}

export function Events({ events }: { events: StoredEvent[] }) {
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <div className="table-wrap events-wrap">
        <table className="events" id="events">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Reason</th>
              <th scope="col">r</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {[...events].reverse().map((e) => (
              <tr key={e.id} data-reason={e.reason} className={`sev-${e.severity}`}>
                <td className="num">{clock(e.at)}</td>
                <td>{e.reason}</td>
                <td className="num">{e.revision}</td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
