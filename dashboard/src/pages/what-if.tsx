/**
 * "What if": the rollout's own plan through `kanari simulate`'s code (in a worker) with the traffic
 * and faults set by sliders, once per judge, side by side: when each would decide, what it would
 * decide, and how many user requests the faulty canary would cost.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import { JUDGES } from '../../../src/analysis/vocabulary.js'
import type { JudgeName } from '../../../src/analysis/types.js'
import type { RolloutPlan } from '../../../src/engine/plan.js'
import { api, type RolloutView } from '../api.js'
import { ProcessTable } from '../components/panels.js'
import { href } from '../route.js'
import type { SimulateAnswer, SimulateSummary } from '../simulate-worker.js'
import {
  DEFAULT_INPUTS,
  judgesOf,
  simulateFlags,
  simulationOptions,
  withJudge,
  type WhatIfInputs,
} from '../what-if.js'

type Column = { judge: JudgeName; result?: SimulateSummary; error?: string }

function useSimulations(plan: RolloutPlan | undefined, inputs: WhatIfInputs) {
  const worker = useRef<Worker | null>(null)
  const [columns, setColumns] = useState<Column[]>([])
  const [running, setRunning] = useState(false)

  useEffect(() => () => worker.current?.terminate(), [])

  useEffect(() => {
    if (plan === undefined) return
    // Sliders move fast: run once they rest for a moment, in a fresh worker (an older run still
    // going is stopped with its worker).
    const timer = window.setTimeout(() => {
      worker.current?.terminate()
      const w = new Worker(new URL('../simulate-worker.ts', import.meta.url), { type: 'module' })
      worker.current = w
      const got: Column[] = JUDGES.map((judge) => ({ judge }))
      setRunning(true)
      w.onmessage = (m: MessageEvent<SimulateAnswer>) => {
        const col = got[m.data.id]
        if (col === undefined) return
        if ('result' in m.data) col.result = m.data.result
        else col.error = m.data.error
        setColumns([...got])
        if (got.every((c) => c.result !== undefined || c.error !== undefined)) setRunning(false)
      }
      JUDGES.forEach((judge, id) =>
        w.postMessage({ id, plan: withJudge(plan, judge), options: simulationOptions(inputs) }),
      )
    }, 250)
    return () => window.clearTimeout(timer)
  }, [plan, inputs])

  return { columns, running }
}

interface SliderProps {
  id: string
  label: string
  min: number
  max: number
  step: number
  value: number
  unit: string
  onChange: (v: number) => void
}

function Slider({ id, label, min, max, step, value, unit, onChange }: SliderProps) {
  return (
    <div className="slider">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        onChange={(e) => onChange(Number(e.target.value))}
        aria-valuetext={`${value}${unit}`}
      />
      <output htmlFor={id}>
        {value}
        {unit}
      </output>
    </div>
  )
}

export function WhatIfPage({ name }: { name: string }) {
  const [view, setView] = useState<RolloutView | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [inputs, setInputs] = useState<WhatIfInputs>(DEFAULT_INPUTS)
  useEffect(() => {
    api.view(name).then(setView, (err: unknown) => setError(String(err)))
  }, [name])
  const plan = view?.plan
  const { columns, running } = useSimulations(plan, inputs)
  const own = useMemo(() => (plan === undefined ? [] : judgesOf(plan)), [plan])
  const set = (patch: Partial<WhatIfInputs>) => setInputs((i) => ({ ...i, ...patch }))

  return (
    <article className="what-if" aria-labelledby="what-if-title">
      <p className="crumbs">
        <a href={href.rollout(name)}>← {name}</a>
      </p>
      <h1 id="what-if-title">What if… {name} met this traffic?</h1>
      <p className="hint">
        Runs <code>kanari simulate</code>’s own code on this rollout’s plan in virtual time: the
        real engine and judges against synthetic traffic. Stable fails 0.5% of requests with a 50 ms
        median, as in the CLI.
      </p>
      {error === undefined ? null : <p role="alert">{error}</p>}
      <form className="sliders" onSubmit={(e) => e.preventDefault()} aria-label="what-if inputs">
        <Slider
          id="wi-rps"
          label="Traffic (requests/s)"
          min={1}
          max={2000}
          step={1}
          value={inputs.rps}
          unit=" rps"
          onChange={(v) => set({ rps: v })}
        />
        <Slider
          id="wi-error"
          label="Canary error rate"
          min={0}
          max={50}
          step={0.5}
          value={inputs.canaryErrorRate}
          unit="%"
          onChange={(v) => set({ canaryErrorRate: v })}
        />
        <Slider
          id="wi-latency"
          label="Added canary latency"
          min={0}
          max={1000}
          step={10}
          value={inputs.addedLatencyMs}
          unit=" ms"
          onChange={(v) => set({ addedLatencyMs: v })}
        />
        <div className="slider">
          <label htmlFor="wi-fail-at">Fails once its weight reaches</label>
          <input
            id="wi-fail-at"
            type="range"
            min={0}
            max={100}
            step={5}
            value={inputs.failAtWeight ?? 0}
            onChange={(e) => {
              const v = Number(e.target.value)
              set({ failAtWeight: v === 0 ? null : v })
            }}
            aria-valuetext={
              inputs.failAtWeight === null ? 'from the start' : `${inputs.failAtWeight}%`
            }
          />
          <output htmlFor="wi-fail-at">
            {inputs.failAtWeight === null ? 'from the start' : `${inputs.failAtWeight}%`}
          </output>
        </div>
      </form>
      <p className="cli">
        The same in a terminal:{' '}
        <code id="what-if-command">
          kanari simulate -f {name}.yaml {simulateFlags(inputs).join(' ')}
        </code>
      </p>
      <p role="status" aria-live="polite" className="hint">
        {running ? 'Simulating…' : columns.length > 0 ? 'Up to date.' : ''}
      </p>
      <div className="judges" id="judges">
        {columns.map((c) => (
          <section
            key={c.judge}
            className="judge"
            data-judge={c.judge}
            data-outcome={c.result?.outcome ?? ''}
            aria-labelledby={`judge-${c.judge}`}
          >
            <h2 id={`judge-${c.judge}`}>
              {c.judge} judge{own.includes(c.judge) ? ' (this rollout’s)' : ''}
            </h2>
            {c.error !== undefined ? (
              <p role="alert">Simulation failed: {c.error}</p>
            ) : c.result === undefined ? (
              <p>…</p>
            ) : (
              <>
                <p className={`outcome outcome-${c.result.outcome}`}>
                  <span aria-hidden="true">
                    {c.result.outcome === 'Promoted'
                      ? '⇡'
                      : c.result.outcome === 'RolledBack'
                        ? '↩'
                        : c.result.outcome === 'NotJudged'
                          ? '?'
                          : '⏸'}
                  </span>{' '}
                  <strong data-field="outcome">{c.result.outcome}</strong> after{' '}
                  <strong data-field="decision-seconds">{c.result.decisionSeconds}</strong> s
                </p>
                <dl className="facts">
                  <div>
                    <dt>failed requests</dt>
                    <dd data-field="failed-requests">{c.result.failedRequests}</dd>
                  </div>
                  <div>
                    <dt>to the canary</dt>
                    <dd>{c.result.canaryRequests}</dd>
                  </div>
                  <div>
                    <dt>all requests</dt>
                    <dd>{c.result.totalRequests}</dd>
                  </div>
                </dl>
                <p className="reason">{c.result.reason}</p>
                {c.result.skippedMetrics.length > 0 && (
                  <p className="hint">Not simulated: {c.result.skippedMetrics.join(', ')}</p>
                )}
                <details open>
                  <summary>Process table</summary>
                  <ProcessTable rows={c.result.steps} id={`process-${c.judge}`} compact />
                </details>
              </>
            )}
          </section>
        ))}
      </div>
    </article>
  )
}
