/**
 * Local-mode rollouts analysed only by Prometheus: a real daemon, real replicas and real traffic
 * through the proxy; a real Prometheus (1 s scrape) scraping the daemon's `/metrics` and every proxy's
 * (found through the daemon's HTTP service discovery). A PromQL metric promotes a healthy canary and
 * rolls back a failing one; so does the sequential judge fed from Prometheus counts (Kanari's query
 * set). Afterwards every panel of the Grafana dashboard has data in that Prometheus. Last, a 30 s
 * Prometheus stop in the middle of a healthy release holds it, and it completes once Prometheus is back.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RolloutView } from '../../src/local/daemon/api/schemas.js'
import { readApiInfo } from '../../src/local/daemon/paths.js'
import { runLoad, type LoadSummary } from '../../src/local/load/index.js'
import { kanariIn, viewIn, viewWhenIn } from '../helpers/kanari-cli.js'
import { DEMO_APP, alive, waitFor } from '../helpers/processes.js'
import { startPrometheus, type TestPrometheus } from '../support/prometheus.js'

const stateDir = mkdtempSync(join(tmpdir(), 'kanari-prom-rollouts-'))
const pids = new Set<number>()
let prometheus: TestPrometheus
let daemonUrl = ''
const startedAt = Date.now()

const kanari = (...args: string[]) => kanariIn(stateDir, ...args)

beforeAll(async () => {
  const up = await kanari('up', '-o', 'json')
  expect(up.code, up.stderr).toBe(0)
  daemonUrl = readApiInfo(stateDir)?.url ?? ''
  const daemon = new URL(daemonUrl)
  prometheus = await startPrometheus({
    jobs: [
      { job: 'kanari-daemon', targets: [daemon.host] },
      { job: 'kanari-proxies', discovery: `${daemonUrl}/api/v1/prometheus/targets` },
    ],
  })
  await prometheus.waitForData('kanari_info')
}, 120_000)

afterAll(async () => {
  await kanari('down')
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  await prometheus.stop()
  rmSync(stateDir, { recursive: true, force: true })
}, 60_000)

function remember(v: RolloutView): RolloutView {
  for (const version of v.versions) for (const pid of version.pids) pids.add(pid)
  return v
}

function manifest(
  name: string,
  env: Record<string, string>,
  analysis: string,
  steps: string,
): string {
  const file = join(stateDir, `${name}.yaml`)
  writeFileSync(
    file,
    `apiVersion: kanari.dev/v1alpha1
kind: Rollout
metadata: { name: ${name} }
spec:
  replicas: 1
  workload:
    process:
      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(DEMO_APP)}]
      env: ${JSON.stringify(env)}
      readiness: { httpGet: /healthz }
  service: { port: 0 }
  strategy:
    canary:
      steps: ${steps}
      abortScaleDownDelaySeconds: 0
      scaleDownDelaySeconds: 0
  progressDeadlineSeconds: 180
${analysis}`,
  )
  return file
}

/** Load on the rollout's service until `until` resolves (bounded: 120 s at 40 rps at most). */
async function withLoad<T>(
  url: string,
  until: () => Promise<T>,
): Promise<{ result: T; load: LoadSummary }> {
  const stop = new AbortController()
  const load = runLoad({
    url: `${url}/color`,
    rps: 40,
    durationMs: 120_000,
    concurrencyCap: 20,
    signal: stop.signal,
  })
  try {
    const result = await until()
    return { result, load: await (stop.abort(), load) }
  } finally {
    stop.abort()
    await load
  }
}

const decided = (v: RolloutView): boolean =>
  v.status.phase === 'Healthy' || v.status.phase === 'RolledBack'

/** Applies v1, waits until it serves, then changes env and waits (under load) for the decision. */
async function release(
  name: string,
  file: string,
  next: Record<string, string>,
): Promise<RolloutView> {
  const first = await viewIn(stateDir, name).catch(() => undefined)
  if (first === undefined) {
    const applied = await kanari('apply', '-f', file)
    expect(applied.code, applied.stderr).toBe(0)
    remember(
      await viewWhenIn(
        stateDir,
        name,
        (v) => v.status.phase === 'Healthy',
        `${name} v1 healthy`,
        60_000,
      ),
    )
  }
  const view = await viewIn(stateDir, name)
  const revision = view.status.revision
  const { result } = await withLoad(view.serviceUrl, async () => {
    const set = await kanari(
      'set',
      'env',
      name,
      ...Object.entries(next).map(([k, v]) => `${k}=${v}`),
    )
    expect(set.code, set.stderr).toBe(0)
    return viewWhenIn(
      stateDir,
      name,
      (v) => remember(v).status.revision > revision && decided(v),
      `${name} revision ${revision + 1} promoted or rolled back`,
      150_000,
    )
  })
  return result
}

function eventsOf(v: RolloutView, reason: string): RolloutView['events'] {
  return v.events.filter((e) => e.reason === reason)
}

describe('local rollouts analysed only by Prometheus', () => {
  const address = () => prometheus.url

  it(
    'a PromQL metric promotes a healthy canary and rolls back a failing one',
    { timeout: 400_000 },
    async () => {
      const query = [
        '(sum(rate(kanari_proxy_requests_total{rollout="{{ target }}", revision="{{ revision }}", code_class=~"5xx|failed"}[10s])) or vector(0))',
        '/ sum(rate(kanari_proxy_requests_total{rollout="{{ target }}", revision="{{ revision }}"}[10s]))',
      ].join(' ')
      const file = manifest(
        'promql',
        { COLOR: 'blue' },
        `  analysis:
    judge: limit
    interval: 3s
`,
        `[{ setWeight: 50 }, { analysis: { metrics: [{ name: canary-error-ratio, initialDelay: 6s, interval: 3s, count: 3, inconclusiveLimit: 2, successCondition: "result < 0.05", provider: { prometheus: { address: "${address()}", query: ${JSON.stringify(query)} } } }] } }]`,
      )
      const healthy = await release('promql', file, { COLOR: 'green' })
      expect(healthy.status.phase).toBe('Healthy')
      expect(healthy.status.stableRevision).toBe(2)
      const passed = eventsOf(healthy, 'AnalysisSuccessful').at(-1)
      expect(passed?.message).toMatch(/canary-error-ratio/)
      expect(eventsOf(healthy, 'Promoted')).not.toHaveLength(0)

      const failing = await release('promql', file, { COLOR: 'red', ERROR_RATE: '50' })
      expect(failing.status.phase).toBe('RolledBack')
      expect(failing.status.stableRevision).toBe(2)
      const rolledBack = eventsOf(failing, 'RolledBack').at(-1)
      expect(rolledBack).toMatchObject({ cause: 'AnalysisFailed' })
      expect(rolledBack?.message).toMatch(
        /canary-error-ratio 0\.\d+ fails successCondition "result < 0.05"/,
      )
    },
  )

  it(
    'the sequential judge fed from Prometheus counts promotes a healthy canary and rolls back a failing one',
    { timeout: 400_000 },
    async () => {
      const file = manifest(
        'promseq',
        { COLOR: 'blue' },
        `  analysis:
    judge: sequential
    minCanaryRequests: 50
    metrics:
      - name: error-rate
        thresholdRange: { max: 5 }
        provider: { prometheus: { address: "${address()}", traffic: { querySet: kanari } } }
`,
        '[{ setWeight: 50 }, { analysis: { duration: 15s } }]',
      )
      const healthy = await release('promseq', file, { COLOR: 'green' })
      expect(healthy.status.phase).toBe('Healthy')
      expect(healthy.status.stableRevision).toBe(2)
      expect(eventsOf(healthy, 'AnalysisSuccessful').at(-1)?.message).toMatch(
        /canary error rate 0% \(0\/\d+\) vs stable 0% \(0\/\d+\)/,
      )

      const failing = await release('promseq', file, { COLOR: 'red', ERROR_RATE: '60' })
      expect(failing.status.phase).toBe('RolledBack')
      const rolledBack = eventsOf(failing, 'RolledBack').at(-1)
      expect(rolledBack).toMatchObject({ cause: 'AnalysisFailed' })
      // Rejected against stable, or against the limit alone when Prometheus had no stable count yet.
      expect(rolledBack?.message, `the whole message: ${rolledBack?.message}`).toMatch(
        /canary error rate \d+(\.\d)?% \(\d+\/\d+\) (vs stable 0% \(0\/\d+\)|above max 5%); p /,
      )
      const started = eventsOf(failing, 'AnalysisStarted').at(-1)
      if (started !== undefined && rolledBack !== undefined)
        console.log(
          `sequential judge on Prometheus counts: rolled back ${((rolledBack.at - started.at) / 1000).toFixed(1)} s after its analysis started`,
        )
    },
  )

  it("Kanari's own metrics reach Prometheus: promotions, rollbacks by cause, analysis results", async () => {
    const value = async (q: string): Promise<number> => {
      const r = await prometheus.waitForData(q)
      return r.resultType === 'vector' ? (r.series[0]?.value ?? Number.NaN) : Number.NaN
    }
    await waitFor(
      async () => (await value('sum(kanari_promotions_total{rollout="promql"})')) === 1,
      'promql promotion scraped',
    )
    expect(
      await value('sum(kanari_rollbacks_total{rollout="promseq", cause="AnalysisFailed"})'),
    ).toBe(1)
    expect(
      await value(
        'sum(kanari_analysis_measurements_total{rollout="promql", metric="canary-error-ratio", result="Failed"})',
      ),
    ).toBeGreaterThanOrEqual(1)
    expect(
      await value('sum(kanari_proxy_requests_total{rollout="promseq", code_class="5xx"})'),
    ).toBeGreaterThan(0)
  })

  it('every panel of the Grafana dashboard has data after the rollouts', async () => {
    const dashboard = JSON.parse(
      readFileSync(new URL('../../deploy/grafana/kanari-dashboard.json', import.meta.url), 'utf8'),
    ) as { panels: { title: string; targets: { expr: string }[] }[] }
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10)
    const empty: string[] = []
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        // What Grafana sends for "All" rollouts and its rate interval, over the test's time range.
        const expr = target.expr.replaceAll('$rollout', '.*').replaceAll('$__rate_interval', '30s')
        const outcome = await prometheus.client.range(expr, startedAt, Date.now(), 2)
        if (!outcome.ok) throw new Error(`${panel.title}: ${outcome.error}`)
        const r = outcome.result
        const points =
          r.resultType === 'matrix'
            ? r.series.flatMap((s) => s.values.filter(([, v]) => !Number.isNaN(v)))
            : []
        if (points.length === 0) empty.push(`${panel.title}: ${expr}`)
      }
    }
    expect(empty).toEqual([])
  })

  it(
    'a 30 s Prometheus stop during a healthy release neither promotes nor rolls back; the release completes after it returns',
    { timeout: 300_000 },
    async () => {
      const query = [
        '(sum(rate(kanari_proxy_requests_total{rollout="{{ target }}", revision="{{ revision }}", code_class=~"5xx|failed"}[10s])) or vector(0))',
        '/ sum(rate(kanari_proxy_requests_total{rollout="{{ target }}", revision="{{ revision }}"}[10s]))',
      ].join(' ')
      // No errorGracePeriod: the default (60 s) is what has to outlast a restart.
      // A restarted Prometheus has no rate for its first scrapes: those measurements are no data
      // (inconclusive, counted toward count), so count and inconclusiveLimit leave room for them.
      const file = manifest(
        'outage',
        { COLOR: 'blue' },
        '  analysis:\n    judge: limit\n',
        `[{ setWeight: 50 }, { analysis: { metrics: [{ name: canary-error-ratio, initialDelay: 4s, interval: 2s, count: 10, inconclusiveLimit: 8, successCondition: "result < 0.05", provider: { prometheus: { address: "${address()}", query: ${JSON.stringify(query)} } } }] } }]`,
      )
      const applied = await kanari('apply', '-f', file)
      expect(applied.code, applied.stderr).toBe(0)
      const v1 = remember(
        await viewWhenIn(stateDir, 'outage', (v) => v.status.phase === 'Healthy', 'v1', 60_000),
      )
      const t0 = Date.now()
      const at = (ms: number) => `${((ms - t0) / 1000).toFixed(1)} s`
      const timeline: string[] = []
      const { result: done } = await withLoad(v1.serviceUrl, async () => {
        const set = await kanari('set', 'env', 'outage', 'COLOR=green')
        expect(set.code, set.stderr).toBe(0)
        // Prometheus answered the analysis once: the release is healthy and measured.
        await viewWhenIn(
          stateDir,
          'outage',
          (v) => remember(v).status.analyses.step?.metrics[0]?.successful === 1,
          'the first passing measurement',
          60_000,
        )
        const stoppedAt = Date.now()
        await prometheus.halt()
        timeline.push(`${at(stoppedAt)} Prometheus stopped after the first passing measurement`)
        // Every view while it is down: at 50%, on the analysis step, neither promoted nor rolled back.
        let held: RolloutView | undefined
        let views = 0
        while (Date.now() - stoppedAt < 30_000) {
          const v = remember(await viewIn(stateDir, 'outage'))
          views++
          expect(v.status.phase).toBe('Progressing')
          expect(v.status.stableRevision).toBe(1)
          expect(v.status.traffic.canaryWeight).toBe(50)
          expect(v.status.currentStepIndex).toBe(1)
          if (v.status.monitoringHold != null) held = v
        }
        expect(held?.status.message).toMatch(
          /^monitoring unavailable for \d+ s of 60 s grace: holding \(canary-error-ratio: /,
        )
        const restartedAt = Date.now()
        await prometheus.restart()
        timeline.push(
          `${at(restartedAt)} Prometheus started again after ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s (${views} views while down, each at 50% on step 2); ready at ${at(Date.now())}`,
        )
        timeline.push(`last hold message: ${held?.status.message ?? ''}`)
        return viewWhenIn(
          stateDir,
          'outage',
          (v) => remember(v).status.revision === 2 && decided(v),
          'revision 2 promoted or rolled back',
          120_000,
        )
      })
      expect(done.status.phase).toBe('Healthy')
      expect(done.status.stableRevision).toBe(2)
      const mine = done.events.filter((e) => e.at >= t0 && e.revision === 2)
      const lost = eventsOf(done, 'MonitoringUnavailable')
      const back = eventsOf(done, 'MonitoringRestored')
      expect(lost).toHaveLength(1)
      expect(back).toHaveLength(1)
      const [from, to] = [lost[0]?.at ?? 0, back[0]?.at ?? 0]
      // Nothing moved between the hold and its end; nothing failed at all.
      expect(
        mine
          .filter((e) => e.at > from && e.at < to)
          .map((e) => e.reason)
          .filter((r) => r !== 'MonitoringUnavailable'),
      ).toEqual([])
      expect(mine.map((e) => e.reason)).not.toContain('RolledBack')
      expect(mine.map((e) => e.reason)).not.toContain('AnalysisError')
      // It passed on what Prometheus said after it came back, not on the no data of its restart.
      const passed = eventsOf(done, 'AnalysisSuccessful').at(-1)
      const tally = passed?.reason === 'AnalysisSuccessful' ? passed.tally?.[0] : undefined
      expect(tally?.successful).toBeGreaterThanOrEqual(2)
      timeline.push(`analysis tally: ${JSON.stringify(tally)}`)
      for (const e of mine) timeline.push(`${at(e.at)} ${e.reason}: ${e.message}`)
      console.log(`30 s Prometheus outage, timeline:\n${timeline.join('\n')}`)
    },
  )
})
