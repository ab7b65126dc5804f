/** The rollouts list: what needs attention first (failing, paused, progressing, healthy), filterable. */
import { useState } from 'react'
import { PHASE_GLYPH, PHASE_WORDS, age, verdictWords } from '../format.js'
import { useLive } from '../live.js'
import { href } from '../route.js'

export function RolloutsList() {
  const { summaries } = useLive()
  const [filter, setFilter] = useState('')
  const f = filter.trim().toLowerCase()
  const shown = summaries.filter(
    (s) =>
      f === '' ||
      s.name.toLowerCase().includes(f) ||
      s.phase.toLowerCase().includes(f) ||
      s.attentionLabel.includes(f),
  )
  return (
    <section aria-labelledby="list-title">
      <div className="list-head">
        <h1 id="list-title">Rollouts</h1>
        <label className="filter">
          Filter{' '}
          <input
            type="search"
            value={filter}
            placeholder="name, phase or “failing”"
            onChange={(e) => setFilter(e.target.value)}
          />
        </label>
      </div>
      {summaries.length === 0 ? (
        <p className="empty">
          No rollouts yet. Apply one with <code>kanari apply -f rollout.yaml</code>; it shows up
          here at once.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="rollouts" id="rollouts">
            <thead>
              <tr>
                <th scope="col">Rollout</th>
                <th scope="col">Needs</th>
                <th scope="col">Phase</th>
                <th scope="col">Step</th>
                <th scope="col">Canary weight</th>
                <th scope="col">Last verdict</th>
                <th scope="col">Age</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((s) => {
                const v = s.lastVerdict === null ? undefined : verdictWords(s.lastVerdict.reason)
                return (
                  <tr key={s.name} data-rollout={s.name} data-attention={s.attentionLabel}>
                    <th scope="row">
                      <a href={href.rollout(s.name)}>{s.name}</a>
                    </th>
                    <td>
                      <span className={`attention attention-${s.attentionLabel}`}>
                        {s.attentionLabel}
                      </span>
                    </td>
                    <td>
                      <span className={`phase phase-${s.phase}`}>
                        <span aria-hidden="true">{PHASE_GLYPH[s.phase] ?? '•'}</span>{' '}
                        {PHASE_WORDS[s.phase] ?? s.phase}
                      </span>
                    </td>
                    <td className="num">
                      {s.stepCount === 0
                        ? s.strategy
                        : s.canaryRevision === null
                          ? '—'
                          : `${Math.min(s.stepIndex + 1, s.stepCount)} / ${s.stepCount}`}
                    </td>
                    <td>
                      <span className="weight" data-weight={s.canaryWeight}>
                        <span className="weight-bar" aria-hidden="true">
                          <span style={{ width: `${s.canaryWeight}%` }} />
                        </span>
                        {s.canaryWeight}%
                      </span>
                    </td>
                    <td className="verdict-cell" title={s.lastVerdict?.explanation ?? ''}>
                      {v === undefined ? (
                        '—'
                      ) : (
                        <span className={`tone-${v.tone}`}>
                          <span aria-hidden="true">{v.glyph}</span> {v.words}
                        </span>
                      )}
                    </td>
                    <td className="num">{age(s.createdAt)}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
          {shown.length === 0 && <p className="empty">No rollout matches “{filter}”.</p>}
        </div>
      )}
    </section>
  )
}
