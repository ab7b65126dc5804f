/**
 * The demo's story, told as it happens: start the daemon, deploy v1 under steady load, then release
 * each version and report how it was decided. It stops at its next step once `stop` aborts.
 */
import { resolve } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { stringify } from 'yaml'
import type { DaemonClient } from '../local/daemon/client.js'
import type { RolloutView } from '../local/daemon/api/schemas.js'
import { freePort } from '../local/free-port.js'
import { backendId } from '../local/proxy/backend-id.js'
import { runLoad } from '../local/load/index.js'
import { renderProcessTable } from '../report/process-table.js'
import { fitLine, wrapClauses } from '../report/wrap.js'
import { renderAdvisor, renderBrief } from '../diagnosis/render.js'
import type { DiagnosisResponse } from '../local/daemon/api/diagnosis-routes.js'
import {
  DEMO_ADVISOR_TIMEOUT_SECONDS,
  DEMO_RELEASES,
  demoRollout,
  type DemoRelease,
} from './demo-spec.js'
import { releaseReport, type ReleaseDiagnosis, type ReleaseReport } from './release-report.js'

/** Piped, how often the status of a release in flight is printed again. */
const PIPED_STATUS_MS = 5000
/** Piped (a log, a CI job), how wide the demo's lines are: wide enough for a verdict's clause. */
export const PIPED_WIDTH = 100

export interface StoryOptions {
  stateDir: string
  rps: number
  startDaemon: (stateDir: string) => Promise<DaemonClient>
  /** Aborted when the user interrupts: no sleep, request or line after that. */
  stop: AbortSignal
  /** One line of the story (silent under --output json). */
  say: (line: string) => void
  /** Raw output (the process tables, the live status line). */
  write: (text: string) => void
  /** Redraw the status line in place instead of printing each change. */
  live: boolean
  json: boolean
  columns: number
  /** A GGUF model file for the advisor, which then explains each rollback. */
  advisorModelFile?: string
}

/** What the story got to; read by whoever ends the demo, however the story ended. */
export interface StoryProgress {
  /** The demo app's address behind the proxy, once a port was picked. */
  url: string | undefined
  client: DaemonClient | undefined
  releases: ReleaseReport[]
  /**
   * Every user request of the load generator. `failed` is all of them that failed, wherever: those
   * that reached a release while it was judged (each release's `failedRequests`), those a version
   * answered when it was stable (its own errors), and `unanswered`, those no version answered.
   */
  load: { requests: number; failed: number; unanswered: number }
}

export function newProgress(): StoryProgress {
  return {
    url: undefined,
    client: undefined,
    releases: [],
    load: { requests: 0, failed: 0, unanswered: 0 },
  }
}

export async function tellStory(o: StoryOptions, progress: StoryProgress): Promise<void> {
  const { say, write, stop } = o
  const sleep = (ms: number): Promise<void> => delay(ms, undefined, { signal: stop })
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  progress.url = url
  say(`Kanari demo — state in ${o.stateDir}`)
  stop.throwIfAborted()
  const running = await o.startDaemon(o.stateDir)
  progress.client = running
  say(`daemon running (pid ${running.info.pid}, API ${running.info.url})`)
  say(`dashboard: ${running.info.url}/ — open it in a browser to watch each release live`)
  /** Every call to the daemon goes through here: none starts after an interrupt. */
  const daemon = (): DaemonClient => {
    stop.throwIfAborted()
    return running
  }

  const apply = async (
    release: Pick<DemoRelease, 'color' | 'version' | 'env'>,
  ): Promise<number> => {
    const doc = demoRollout({
      port,
      ...release,
      ...(o.advisorModelFile === undefined ? {} : { advisorModelFile: o.advisorModelFile }),
    })
    const res = await daemon().put<{ results: { revision: number }[] }>('/api/v1/rollouts', {
      files: [{ name: `demo-${release.version}.yaml`, text: stringify(doc) }],
      baseDir: resolve('.'),
    })
    return res.results[0]?.revision ?? 0
  }
  const view = (): Promise<RolloutView> => daemon().get<RolloutView>('/api/v1/rollouts/demo')

  /**
   * The evidence report of a rolled-back revision, stored by the daemon right after the rollback;
   * with an advisor, what it said too (it only explains: the rollback was already decided).
   */
  const evidence = async (revision: number): Promise<ReleaseDiagnosis | null> => {
    const path = `/api/v1/rollouts/demo/diagnosis?revision=${revision}`
    const deadline = Date.now() + 10_000
    let d = await daemon().get<DiagnosisResponse>(path)
    while (!d.stored && Date.now() < deadline) {
      await sleep(250)
      d = await daemon().get<DiagnosisResponse>(path)
    }
    if (!d.stored) return null
    if (!o.json) {
      say(`   evidence (\`kanari diagnose demo --revision ${revision}\` has all of it):`)
      const brief = renderBrief(d.report).split('\n').slice(1)
      if (brief.at(-1) === '') brief.pop()
      for (const l of brief) say(l === '' ? l : `   ${l}`)
    }
    if (o.advisorModelFile !== undefined) {
      const until = Date.now() + (DEMO_ADVISOR_TIMEOUT_SECONDS + 30) * 1000
      if (!o.json) say('   asking the advisor (a local model; it explains, it never decides)…')
      while (d.advisor === null && Date.now() < until) {
        await sleep(500)
        d = await daemon().get<DiagnosisResponse>(path)
      }
      if (!o.json && d.advisor !== null) for (const l of renderAdvisor(d.advisor)) say(`   ${l}`)
    }
    const first = d.report.logs.templates[0]
    const row = d.report.requests.rows[0]
    return {
      revision,
      firstTemplate:
        first === undefined
          ? null
          : {
              template: first.template,
              newInCanary: first.newInCanary,
              canary: first.canary,
              stable: first.stable,
            },
      firstRequest:
        row === undefined
          ? null
          : {
              method: row.method,
              path: row.path,
              status: row.status,
              canary: row.canary,
              stable: row.stable,
            },
      advisor: d.advisor,
    }
  }

  // Per-revision tallies of what users saw, from the load generator.
  const perBackend = new Map<string, { requests: number; failed: number }>()
  const load = new AbortController()
  let loadRun: Promise<unknown> = Promise.resolve()
  try {
    say('deploying v1 (blue), 3 replicas behind the proxy…')
    await apply({ color: 'blue', version: 'v1', env: {} })
    const deadline = Date.now() + 60_000
    while ((await view()).status.phase !== 'Healthy') {
      if (Date.now() > deadline)
        throw new Error('v1 did not become ready within 60s; see the daemon log in ' + o.stateDir)
      await sleep(250)
    }
    say(`v1 is serving at ${url}/ — open it in a browser to watch the colors change`)
    loadRun = runLoad({
      url: `${url}/color`,
      rps: o.rps,
      durationMs: 10 * 60_000,
      concurrencyCap: 200,
      signal: AbortSignal.any([load.signal, stop]),
      onResult: (r) => {
        const key = r.backend ?? 'none'
        const tally = perBackend.get(key) ?? { requests: 0, failed: 0 }
        tally.requests++
        if (r.status === 0 || r.status >= 500) tally.failed++
        perBackend.set(key, tally)
        const failed = r.status === 0 || r.status >= 500 ? 1 : 0
        progress.load = {
          requests: progress.load.requests + 1,
          failed: progress.load.failed + failed,
          unanswered: progress.load.unanswered + (r.backend === undefined ? failed : 0),
        }
      },
    })
    say(`steady load: ${o.rps} requests/s through the proxy`)
    await sleep(3000)

    for (const release of DEMO_RELEASES) {
      say('')
      say(`── release ${release.version} (${release.color}): ${release.story}`)
      const t0 = Date.now()
      const revision = await apply(release)
      let v = await view()
      let lastHead = ''
      let lastSaidAt = 0
      while (!(v.status.lastOutcome?.revision === revision) && Date.now() - t0 < 90_000) {
        const head = `   ${v.status.phase} — canary ${v.status.traffic.canaryWeight}%`
        if (o.live) write(`\r\x1b[K${fitLine(`${head} — ${v.status.message}`, o.columns - 1)}`)
        else if (!o.json && (head !== lastHead || Date.now() - lastSaidAt >= PIPED_STATUS_MS)) {
          // Piped: a change of phase or weight at once, else the verdict so far every few seconds,
          // its clauses on lines of their own rather than one line of hundreds of characters.
          say(`${head}:`)
          for (const l of wrapClauses(v.status.message, PIPED_WIDTH - 6)) say(`      ${l}`)
          lastHead = head
          lastSaidAt = Date.now()
        }
        await sleep(o.live ? 200 : 500)
        v = await view()
      }
      const tally = perBackend.get(backendId(revision)) ?? { requests: 0, failed: 0 }
      const report = releaseReport(release, revision, v, tally, t0, Date.now())
      progress.releases.push(report)
      if (o.live) write('\r\x1b[K')
      if (!o.json) {
        write(
          renderProcessTable(report.processTable, {
            width: Math.min(o.columns, 120),
            detailWidth: 100,
          }),
        )
        say(
          `=> ${release.version}: ${report.outcome}${report.outcome === 'RolledBack' ? ` at ${report.decidedAtWeight}%` : ''} after ${report.decisionSeconds}s; ` +
            `${report.requests} user requests reached it, ${report.failedRequests} failed because of it` +
            (report.ok
              ? ''
              : `  ✗ expected ${release.expect.outcome}${release.expect.atWeight === undefined ? '' : ` at ${release.expect.atWeight}%`}`),
        )
        if (report.outcome === 'RolledBack') say(`   why: ${report.reason}`)
      }
      if (report.outcome === 'RolledBack') {
        report.diagnosis = await evidence(revision)
      }
      // Let the rolled-back canary drain and stable settle before the next release.
      await sleep(1500)
    }
  } finally {
    load.abort()
    await loadRun.catch(() => undefined)
  }
}
