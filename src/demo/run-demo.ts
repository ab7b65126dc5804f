/**
 * `kanari demo`: the whole story on one machine. A daemon in a temporary state directory runs the
 * demo app v1 (blue) behind Kanari's proxy under steady load; then v2 (healthy) is promoted, v3 (15%
 * errors) is rolled back at its first step, and v4 (fails only under load) is rolled back at 50%.
 * Prints each release's process table, time to decision and the user requests each bad version cost.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { stringify } from 'yaml'
import type { DaemonClient } from '../local/daemon/client.js'
import type { RolloutView } from '../local/daemon/api/schemas.js'
import { isAlive } from '../local/daemon/paths.js'
import { freePort } from '../local/free-port.js'
import { runLoad } from '../local/load/index.js'
import { renderProcessTable } from '../report/process-table.js'
import { DEMO_RELEASES, demoRollout } from './demo-spec.js'
import { releaseReport, type ReleaseReport } from './release-report.js'

export type { ReleaseReport }

export interface DemoOptions {
  /** Where the story is told (a terminal, a pipe, a test's buffer). */
  io: { stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } }
  /** Plain lines even on a TTY. */
  ci: boolean
  /** Leave the daemon and the demo app running at the end. */
  keep: boolean
  json: boolean
  rps: number
  startDaemon: (stateDir: string) => Promise<DaemonClient>
}

export interface DemoReport {
  ok: boolean
  url: string
  stateDir: string
  releases: ReleaseReport[]
  load: { requests: number; failed: number; rps: number }
  seconds: number
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const started = Date.now()
  const out = options.io.stdout
  const live = !options.ci && !options.json && out.isTTY === true
  const say = (line: string): void => {
    if (options.json) return
    if (live) out.write('\r\x1b[K')
    out.write(line + '\n')
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'kanari-demo-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  say(`Kanari demo — state in ${stateDir}`)
  const client = await options.startDaemon(stateDir)
  say(`daemon running (pid ${client.info.pid}, API ${client.info.url})`)

  // Per-revision tallies of what users saw, from the load generator.
  const perBackend = new Map<string, { requests: number; failed: number }>()
  const load = new AbortController()
  let loadTotals = { requests: 0, failed: 0 }
  const apply = async (release: {
    color: string
    version: string
    env: Record<string, string>
  }): Promise<number> => {
    const doc = demoRollout({ port, ...release })
    const res = await client.put<{ results: { revision: number }[] }>('/api/v1/rollouts', {
      files: [{ name: `demo-${release.version}.yaml`, text: stringify(doc) }],
      baseDir: resolve('.'),
    })
    return res.results[0]?.revision ?? 0
  }
  const view = (): Promise<RolloutView> => client.get<RolloutView>('/api/v1/rollouts/demo')

  let loadRun: Promise<unknown> = Promise.resolve()
  const releases: ReleaseReport[] = []
  try {
    say('deploying v1 (blue), 3 replicas behind the proxy…')
    await apply({ color: 'blue', version: 'v1', env: {} })
    const deadline = Date.now() + 60_000
    while ((await view()).status.phase !== 'Healthy') {
      if (Date.now() > deadline)
        throw new Error('v1 did not become ready within 60s; see the daemon log in ' + stateDir)
      await sleep(250)
    }
    say(`v1 is serving at ${url}/ — open it in a browser to watch the colors change`)
    loadRun = runLoad({
      url: `${url}/color`,
      rps: options.rps,
      durationMs: 10 * 60_000,
      concurrencyCap: 200,
      signal: load.signal,
      onResult: (r) => {
        const key = r.backend ?? 'none'
        const tally = perBackend.get(key) ?? { requests: 0, failed: 0 }
        tally.requests++
        if (r.status === 0 || r.status >= 500) tally.failed++
        perBackend.set(key, tally)
        loadTotals = {
          requests: loadTotals.requests + 1,
          failed: loadTotals.failed + (r.status === 0 || r.status >= 500 ? 1 : 0),
        }
      },
    })
    say(`steady load: ${options.rps} requests/s through the proxy`)
    await sleep(3000)

    for (const release of DEMO_RELEASES) {
      say('')
      say(`── release ${release.version} (${release.color}): ${release.story}`)
      const t0 = Date.now()
      const revision = await apply(release)
      let v = await view()
      let lastLine = ''
      while (!(v.status.lastOutcome?.revision === revision) && Date.now() - t0 < 90_000) {
        const line = `   ${v.status.phase} — canary ${v.status.traffic.canaryWeight}% — ${v.status.message}`
        if (live) out.write(`\r\x1b[K${line.slice(0, (out.columns ?? 120) - 1)}`)
        else if (line !== lastLine && !options.json) say(line)
        lastLine = line
        await sleep(live ? 200 : 500)
        v = await view()
      }
      const tally = perBackend.get(`rev-${revision}`) ?? { requests: 0, failed: 0 }
      const report = releaseReport(release, revision, v, tally, t0, Date.now())
      releases.push(report)
      if (live) out.write('\r\x1b[K')
      if (!options.json) {
        out.write(renderProcessTable(report.processTable, { detailWidth: 100 }))
        say(
          `=> ${release.version}: ${report.outcome}${report.outcome === 'RolledBack' ? ` at ${report.decidedAtWeight}%` : ''} after ${report.decisionSeconds}s; ` +
            `${report.requests} user requests reached it, ${report.failedRequests} failed because of it` +
            (report.ok
              ? ''
              : `  ✗ expected ${release.expect.outcome}${release.expect.atWeight === undefined ? '' : ` at ${release.expect.atWeight}%`}`),
        )
        if (report.outcome === 'RolledBack') say(`   why: ${report.reason}`)
      }
      // Let the rolled-back canary drain and stable settle before the next release.
      await sleep(1500)
    }
  } finally {
    load.abort()
    await loadRun.catch(() => undefined)
  }

  const ok = releases.length === DEMO_RELEASES.length && releases.every((r) => r.ok)
  const report: DemoReport = {
    ok,
    url: `${url}/`,
    stateDir,
    releases,
    load: { ...loadTotals, rps: options.rps },
    seconds: Math.round((Date.now() - started) / 100) / 10,
  }
  if (options.keep) {
    say('')
    say(`left running: the demo app at ${url}/ and the daemon (state ${stateDir}).`)
    say(
      `try: ./bin/kanari get rollout demo --state-dir ${stateDir}    stop with: ./bin/kanari down --state-dir ${stateDir}`,
    )
  } else {
    await client.post('/api/v1/shutdown').catch(() => undefined)
    const deadline = Date.now() + 30_000
    while (isAlive(client.info.pid) && Date.now() < deadline) await sleep(100)
    rmSync(stateDir, { recursive: true, force: true })
  }
  if (options.json) out.write(JSON.stringify(report, null, 2) + '\n')
  else {
    say('')
    say(
      `summary (${report.seconds}s, ${report.load.requests} user requests, ${report.load.failed} failed):`,
    )
    for (const r of releases)
      say(
        `  ${r.version} ${r.color.padEnd(7)} ${r.outcome.padEnd(10)} ${r.outcome === 'RolledBack' ? `at ${r.decidedAtWeight}%`.padEnd(7) : ''.padEnd(7)} decided in ${r.decisionSeconds}s, ${r.failedRequests} failed requests  ${r.ok ? 'as expected' : 'NOT as expected'}`,
      )
    say(`grid page (served through the proxy): ${url}/${options.keep ? '' : ' (stopped)'}`)
    say(ok ? 'demo passed' : 'demo FAILED: a release did not end as expected')
  }
  return report
}
