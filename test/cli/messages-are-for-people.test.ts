/**
 * Event messages are for people only: replace every one with a placeholder and the process table,
 * `kanari get` and the demo's decisions come out the same, apart from the column that shows them.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { renderRolloutView } from '../../src/cli/render/rollout-view.js'
import { DEMO_RELEASES } from '../../src/demo/demo-spec.js'
import { releaseReport } from '../../src/demo/release-report.js'
import type { EngineEvent } from '../../src/engine/events.js'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { releaseEvents } from '../../src/local/daemon/views.js'
import { parseRolloutSet, planFor } from '../../src/manifests/rollout-set.js'
import { processTable } from '../../src/report/process-table.js'
import { simulate, type SimulationResult } from '../../src/simulate/simulate.js'

const PLACEHOLDER = '(message)'

async function simulated(file: string, options: Partial<Parameters<typeof simulate>[1]>) {
  const set = parseRolloutSet([{ name: file, text: readFileSync(file, 'utf8') }])
  const doc = set.rollouts[0]?.doc
  if (doc === undefined) throw new Error(`${file} has no rollout`)
  return simulate(planFor(doc, set.templates, 2), {
    rps: 100,
    stable: { errorRatePercent: 0.5, latencyMs: 50 },
    canary: { errorRatePercent: 0.5, latencyMs: 50 },
    seed: 7,
    promoteAfterSeconds: 30,
    readySeconds: 2,
    maxSeconds: 1800,
    ...options,
  })
}

const bad = { errorRatePercent: 15, latencyMs: 50 }
const scenarios: [string, string, Partial<Parameters<typeof simulate>[1]>][] = [
  ['canary, healthy', 'examples/canary.yaml', {}],
  ['canary, 15% errors', 'examples/canary.yaml', { canary: bad }],
  ['canary, fails at 50%', 'examples/canary.yaml', { canary: bad, failAtWeight: 50 }],
  ['blue-green, bad preview', 'examples/blue-green.yaml', { canary: bad }],
  ['A/B by header', 'examples/ab-testing.yaml', { matchRatePercent: 10 }],
  ['Flagger shorthand', 'examples/flagger-shorthand.yaml', { canary: bad }],
]

function placeheld<E extends EngineEvent>(events: E[]): E[] {
  return events.map((e) => ({ ...e, message: PLACEHOLDER }))
}

/** The view `kanari get` renders, as the daemon builds it from stored events. */
function view(result: SimulationResult, events: EngineEvent[]): RolloutView {
  const stored = events.map((e, i) => ({ ...e, id: i + 1, rollout: 'checkout' }))
  return {
    name: 'checkout',
    revision: 2,
    serviceUrl: 'http://127.0.0.1:8080',
    notifications: [],
    undo: { defaultRevision: 1, revisions: [] },
    status: result.status,
    plan: { strategy: { kind: 'canary', steps: [] } },
    versions: [],
    daemon: { stateWritable: true, problem: null },
    events: stored.slice(-50),
    processTable: processTable(releaseEvents(stored)),
  }
}

describe('event messages are for people only', () => {
  for (const [name, file, options] of scenarios) {
    it(`${name}: the same table, view and decisions without them`, async () => {
      const result = await simulated(file, options)
      const events = result.events
      expect(events.length).toBeGreaterThan(3)
      const blank = placeheld(events)

      // the process table: every column the same but detail, which shows a message or an
      // analysis explanation (data, so it stays)
      const rows = processTable(events)
      const blankRows = processTable(blank)
      expect(blankRows.map(({ detail: _d, ...r }) => r)).toEqual(
        rows.map(({ detail: _d, ...r }) => r),
      )
      blankRows.forEach((r, i) => {
        expect([rows[i]?.detail, PLACEHOLDER]).toContain(r.detail)
      })

      // `kanari get`: the same lines apart from the messages in the events list and the table
      const shown = renderRolloutView(view(result, events)).split('\n')
      const blankShown = renderRolloutView(view(result, blank)).split('\n')
      expect(blankShown.length).toBe(shown.length)
      const eventsAt = shown.findIndex((l) => l.startsWith('Events'))
      shown.forEach((line, i) => {
        const other = blankShown[i] ?? ''
        if (line === '') expect(other).toBe('')
        else if (eventsAt >= 0 && i > eventsAt) {
          // time and reason columns stay; the message column is the placeholder
          expect(other.slice(0, 30)).toBe(line.slice(0, 30))
          expect(other.endsWith(PLACEHOLDER)).toBe(true)
        } else if (line !== other) {
          expect(other).toContain(PLACEHOLDER.slice(0, 8))
        }
      })

      // the demo's decision for the release
      const release = DEMO_RELEASES[1]
      if (release === undefined) throw new Error('the demo has no second release')
      const tally = { requests: result.canaryRequests, failed: result.failedRequests }
      const t0 = 1_700_000_000_000
      const decided = releaseReport(release, 2, view(result, events), tally, t0, t0)
      const blankDecided = releaseReport(release, 2, view(result, blank), tally, t0, t0)
      const { processTable: _p, ...decision } = decided
      const { processTable: _q, ...blankDecision } = blankDecided
      expect(blankDecision).toEqual(decision)
      expect(decision.outcome).toBe(result.outcome === 'Paused' ? 'Timeout' : result.outcome)
    })
  }
})
