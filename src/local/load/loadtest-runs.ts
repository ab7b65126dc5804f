/**
 * The daemon's load runs: started by load-test webhooks and the API, each bounded, at most a few at
 * once, and one per owner and request — asking again while it runs answers "already running", as
 * Flagger's load tester does, so a rollout webhook called each interval keeps one run going.
 */
import { ConflictError } from '../../errors.js'
import type { LoadtestRequest } from './loadtest-request.js'
import { countResult, runLoad, type LoadSummary } from './run-load.js'

export const MAX_RUNNING_LOADTESTS = 8
const FINISHED_KEPT = 20

export interface LoadtestRunView {
  id: string
  /** Who started it: a rollout (`checkout.default`), or `api`. */
  owner: string
  request: LoadtestRequest
  state: 'running' | 'finished' | 'stopped'
  startedAt: number
  endedAt: number | null
  /** Requests sent and answered so far. */
  sent: number
  answered: number
  failed: number
  summary: LoadSummary | null
}

interface Run {
  view: LoadtestRunView
  key: string
  stop: AbortController
  done: Promise<void>
}

export class LoadtestRuns {
  readonly #runs: Run[] = []
  #counter = 0

  /** Starts a run, or returns the one already running for the same owner and request. */
  start(owner: string, request: LoadtestRequest): { run: LoadtestRunView; started: boolean } {
    const key = `${owner}\n${JSON.stringify(request, Object.keys(request).sort())}\n${JSON.stringify(request.headers)}`
    const same = this.#runs.find((r) => r.key === key && r.view.state === 'running')
    if (same !== undefined) return { run: copy(same.view), started: false }
    const running = this.#runs.filter((r) => r.view.state === 'running')
    if (running.length >= MAX_RUNNING_LOADTESTS)
      throw new ConflictError(
        `${running.length} load tests are running already (at most ${MAX_RUNNING_LOADTESTS} at once)`,
        {
          hint: `wait for one to end (the longest ends at ${new Date(Math.max(...running.map((r) => r.view.startedAt + r.view.request.durationSeconds * 1000))).toISOString()})`,
        },
      )
    this.#counter++
    const view: LoadtestRunView = {
      id: `loadtest-${this.#counter}`,
      owner,
      request,
      state: 'running',
      startedAt: Date.now(),
      endedAt: null,
      sent: 0,
      answered: 0,
      failed: 0,
      summary: null,
    }
    const stop = new AbortController()
    const done = runLoad({
      url: request.url,
      rps: request.ratePerSecond,
      durationMs: request.durationSeconds * 1000,
      concurrencyCap: request.concurrency,
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: stop.signal,
      onResult: (r) => countResult(view, r),
    })
      .then((summary) => {
        view.summary = summary
        view.sent = summary.sent
        view.state = stop.signal.aborted ? 'stopped' : 'finished'
      })
      .catch(() => {
        view.state = 'stopped'
      })
      .finally(() => {
        view.endedAt = Date.now()
        this.#forgetOld()
      })
    this.#runs.push({ view, key, stop, done })
    return { run: copy(view), started: true }
  }

  list(): LoadtestRunView[] {
    return this.#runs.map((r) => copy(r.view))
  }

  /** Stops every run (or those of one owner) and waits for them to end. */
  async stop(owner?: string): Promise<void> {
    const runs = this.#runs.filter((r) => owner === undefined || r.view.owner === owner)
    for (const r of runs) r.stop.abort()
    await Promise.all(runs.map((r) => r.done))
  }

  #forgetOld(): void {
    const finished = this.#runs.filter((r) => r.view.state !== 'running')
    for (const r of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT)))
      this.#runs.splice(this.#runs.indexOf(r), 1)
  }
}

function copy(view: LoadtestRunView): LoadtestRunView {
  return structuredClone(view)
}
