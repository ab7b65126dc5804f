/**
 * `kanari get --watch` on a terminal: a compact screen that fits 80×24 (phase, step, weights,
 * readiness, the analysis verdict, the latest events), redrawn in place — against a real daemon, and
 * for views mid-release with long verdicts and many events.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnalysisRunStatus } from '../../src/analysis/types.js'
import { main } from '../../src/cli/main.js'
import { renderWatchView } from '../../src/cli/render/watch-view.js'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { parseRolloutSet, planFor } from '../../src/manifests/rollout-set.js'
import { simulate } from '../../src/simulate/simulate.js'
import { runKanari } from '../helpers/cli.js'
import { demoRollout } from '../helpers/manifests.js'
import { alive, waitFor } from '../helpers/processes.js'

const dir = mkdtempSync(join(tmpdir(), 'kanari-watch-test-'))
const replicaPids = new Set<number>()

/** A terminal of 80×24 that records what is written to it. */
function terminal(columns = 80, rows = 24) {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns, rows })
  let written = ''
  stream.on('data', (d: Buffer) => (written += d.toString()))
  return { stream, written: () => written }
}

// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-9;]*[A-Za-z]/g

function screenLines(frame: string): string[] {
  return frame.replace(ESCAPES, '').split('\n')
}

async function view(name: string): Promise<RolloutView> {
  const res = await runKanari(['get', 'rollout', name, '-o', 'json', '--state-dir', dir])
  const v = JSON.parse(res.stdout) as RolloutView
  for (const version of v.versions) for (const pid of version.pids) replicaPids.add(pid)
  return v
}

beforeAll(async () => {
  const file = join(dir, 'web.yaml')
  const steps = '[{ setWeight: 30 }, { pause: {} }, { setWeight: 60 }, { pause: {} }]'
  writeFileSync(file, demoRollout('web', { steps }))
  expect((await runKanari(['apply', '-f', file, '--state-dir', dir])).code).toBe(0)
  await waitFor(async () => (await view('web')).status.phase === 'Healthy', 'web Healthy', 30_000)
  const set = await runKanari(['set', 'env', 'web', 'COLOR=green', '--state-dir', dir])
  expect(set.code).toBe(0)
  await waitFor(async () => (await view('web')).status.phase === 'Paused', 'web paused', 30_000)
}, 60_000)

afterAll(async () => {
  await runKanari(['down', '--state-dir', dir])
  for (const pid of replicaPids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe('get --watch on a terminal', () => {
  it('redraws one compact screen in place, within 80×24', async () => {
    const term = terminal()
    const stderr = new PassThrough()
    const frames = () => term.written().split('\x1b[H').length - 1
    const running = main(
      ['get', 'rollout', 'web', '--watch', '--interval', '0.2', '--state-dir', dir],
      { io: { stdout: term.stream, stderr } },
    )
    await waitFor(() => frames() >= 3, 'three frames', 10_000, 20)
    term.stream.end()
    expect(await running).toBe(0)

    const out = term.written()
    // The screen is cleared once; then each frame goes home and rewrites its lines.
    expect(out.startsWith('\x1b[2J\x1b[H')).toBe(true)
    expect(out.split('\x1b[2J')).toHaveLength(2)
    const shown = out.split('\x1b[H').slice(1)
    for (const frame of shown) {
      expect(frame.endsWith('\x1b[J')).toBe(true)
      const lines = screenLines(frame)
      expect(lines.length).toBeLessThan(24)
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(80)
    }
    const last = screenLines(shown.at(-1) ?? '')
    expect(last[0]).toMatch(/^web: Paused \(PauseStep\) +\d\d:\d\d:\d\d$/)
    expect(last).toContain('Step      2 of 4: pause (until promoted)')
    expect(last).toContain('Traffic   stable revision 1 70% · canary revision 2 30%')
    expect(last).toContain('Ready     stable 1/1 · canary 1/1')
    expect(last).toContain('Events')
    expect(last.some((l) => /^ {2}\d\d:\d\d:\d\d {2}Paused +paused at step 2/.test(l))).toBe(true)
  })

  it('mid-release with a long verdict and many events, the screen still fits: verdict kept, events cut to fit', async () => {
    const text = readFileSync('examples/canary.yaml', 'utf8')
    const set = parseRolloutSet([{ name: 'examples/canary.yaml', text }])
    const doc = set.rollouts[0]?.doc
    if (doc === undefined) throw new Error('no rollout in examples/canary.yaml')
    const plan = planFor(doc, set.templates, 2)
    const result = await simulate(plan, {
      rps: 100,
      stable: { errorRatePercent: 0.5, latencyMs: 50 },
      canary: { errorRatePercent: 15, latencyMs: 50 },
      failAtWeight: 50,
      seed: 7,
      promoteAfterSeconds: 30,
      readySeconds: 2,
      maxSeconds: 1800,
    })
    const verdict =
      'canary error rate 22% (11/50) vs stable 0.6% (13/2210) above max 1%; p < 0.001; latency p99 canary 113 ms vs stable 96 ms; p = 0.41'
    const run = { kind: 'step', phase: 'Running', message: verdict, metrics: [] }
    const events = result.events.map((e, i) => ({ ...e, id: i + 1, rollout: 'checkout' }))
    expect(events.length).toBeGreaterThan(15)
    const v: RolloutView = {
      name: 'checkout',
      revision: 2,
      serviceUrl: 'http://127.0.0.1:8080',
      notifications: [],
      undo: { defaultRevision: 1, revisions: [] },
      daemon: { stateWritable: true, problem: null },
      status: {
        ...result.status,
        phase: 'Progressing',
        stableRevision: 1,
        canaryRevision: 2,
        currentStepIndex: 5,
        traffic: { ...result.status.traffic, canaryWeight: 50 },
        analyses: { background: null, step: run as unknown as AnalysisRunStatus },
      },
      plan,
      versions: [],
      events,
      processTable: [],
    }
    for (const [columns, rows] of [
      [80, 24],
      [100, 40],
      [60, 15],
    ] as const) {
      const lines = renderWatchView(v, { columns, rows }, 'footer')
      expect(lines.length).toBeLessThan(rows)
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(columns)
      expect(lines[0]).toMatch(/^checkout: Progressing/)
      expect(lines.find((l) => l.startsWith('Step '))).toMatch(
        /^Step {6}6 of 6: analysis error-rate/,
      )
      expect(lines).toContain('Traffic   stable revision 1 50% · canary revision 2 50%')
      expect(lines.at(-1)).toBe('footer')
      // The verdict is there with its p-values, on at most three lines.
      const analysis = lines.findIndex((l) => l.startsWith('Analysis  step Running: '))
      expect(analysis).toBeGreaterThan(0)
      const verdictText = lines.slice(analysis, analysis + 3).join(' ')
      expect(verdictText).toContain('p < 0.001')
      // The latest events fill what is left, the newest last.
      const shownEvents = lines.filter((l) => /^ {2}\d\d:\d\d:\d\d {2}/.test(l))
      expect(shownEvents.length).toBeGreaterThan(0)
      expect(shownEvents.at(-1)).toContain(events.at(-1)?.reason)
      if (rows <= 24) expect(shownEvents.length).toBeLessThan(events.length)
    }
  })
})
