/**
 * A rollout's diagnoses in local mode. As an event sink it builds and stores the evidence report of
 * every rolled-back revision right after the rollback (then, if the spec names an advisor, stores
 * what it says). As the runner's reviewer it answers the opt-in review before an automatic promotion.
 * The advisor only ever annotates, or — opted in — turns a promotion into a pause.
 */
import { advise, advisorSettings, type AdvisorSettings } from '../../advisor/advise.js'
import type { EventSink, PromotionReviewer } from '../../controller/ports.js'
import { reviewOfPromotion, type AdvisorRecord } from '../../diagnosis/advice.js'
import type { DiagnosisReport, DiagnosisTrigger } from '../../diagnosis/report.js'
import type { EngineEvent } from '../../engine/events.js'
import type { RolloutStatus } from '../../engine/status.js'
import type { PromotionReview } from '../../engine/types.js'
import { seconds } from '../../spec/duration.js'
import type { Rollout } from '../../spec/schema.js'
import type { ProxyHost } from '../proxy-host/host-process.js'
import type { StateStore } from '../store/index.js'
import type { Supervisor } from '../supervisor/index.js'
import { gatherReport } from './gather.js'

export interface DiagnoserDeps {
  name: string
  store: StateStore
  supervisor: Supervisor
  status: () => RolloutStatus
  proxy: () => ProxyHost | undefined
  log: (line: string) => void
  now: () => number
}

/** A stored report with what the advisor said of it. */
export interface StoredDiagnosis {
  revision: number
  report: DiagnosisReport
  advisor: AdvisorRecord | null
}

/** The spec's diagnosis settings: secret env names, and the advisor (paths resolved). */
export function diagnosisSettings(
  doc: Rollout | undefined,
  baseDir: string,
): { secretEnv: string[]; advisor: AdvisorSettings | undefined } {
  const a = doc?.spec.analysis?.advisor
  return {
    secretEnv: doc?.spec.diagnosis?.secretEnv ?? [],
    advisor:
      a === undefined
        ? undefined
        : advisorSettings(
            {
              ...a,
              ...(a.timeout === undefined ? {} : { timeoutSeconds: seconds(a.timeout, 60) }),
            },
            baseDir,
          ),
  }
}

export class Diagnoser implements EventSink, PromotionReviewer {
  /** Reports are built one at a time per rollout, in the order asked. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly deps: DiagnoserDeps) {}

  #settings(): ReturnType<typeof diagnosisSettings> {
    const spec = this.deps.store.rollouts.get(this.deps.name)?.spec
    return diagnosisSettings(spec?.doc, spec?.baseDir ?? process.cwd())
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn)
    this.#queue = next.catch(() => undefined)
    return next
  }

  /** Builds the report of `revision` now (not stored). */
  build(revision: number, trigger: DiagnosisTrigger): Promise<DiagnosisReport> {
    return gatherReport(
      {
        name: this.deps.name,
        status: this.deps.status(),
        store: this.deps.store,
        supervisor: this.deps.supervisor,
        proxy: this.deps.proxy(),
        secretEnv: this.#settings().secretEnv,
        now: this.deps.now(),
      },
      revision,
      trigger,
    )
  }

  /** The advisor the spec names, if any (for `kanari diagnose --advisor`). */
  advisor(): AdvisorSettings | undefined {
    return this.#settings().advisor
  }

  /** Builds and stores the report of `revision`, then asks the spec's advisor, if any. */
  async diagnose(revision: number, trigger: DiagnosisTrigger): Promise<StoredDiagnosis> {
    const report = await this.#serial(async () => {
      const started = performance.now()
      const built = await this.build(revision, trigger)
      this.deps.store.diagnoses.put(this.deps.name, revision, built, built.createdAt)
      const top = built.logs.templates[0]
      this.deps.log(
        `rollout ${this.deps.name}: diagnosis of revision ${revision} stored in ${Math.round(performance.now() - started)} ms (${built.logs.templates.length} log templates${top === undefined ? '' : `, first ${top.newInCanary ? 'new' : 'more frequent'} ×${top.canary}`}); \`kanari diagnose ${this.deps.name}\` shows it`,
      )
      return built
    })
    // The advisor is asked outside the queue: a slow one never holds up the next report.
    const settings = this.#settings().advisor
    if (settings === undefined) return { revision, report, advisor: null }
    const record = await advise(report, settings)
    this.#storeAdvice(revision, record)
    return { revision, report, advisor: record }
  }

  #storeAdvice(revision: number, record: AdvisorRecord): void {
    this.deps.store.diagnoses.setAdvisor(this.deps.name, revision, record)
    this.deps.log(
      `rollout ${this.deps.name}: advisor on revision ${revision}: ${
        record.status === 'answered'
          ? `${record.advice.verdict} (confidence ${record.advice.confidence}, ${record.elapsedMs} ms; advisory only)`
          : `unavailable — ${record.reason}`
      }`,
    )
  }

  /** Stores an advisor record for a stored report (from `kanari diagnose --advisor`). */
  storeAdvice(revision: number, record: AdvisorRecord): boolean {
    return this.deps.store.diagnoses.setAdvisor(this.deps.name, revision, record)
  }

  publish(_rollout: string, events: EngineEvent[]): void {
    for (const e of events) {
      if (e.reason !== 'RolledBack') continue
      this.diagnose(e.revision, 'rollback').catch((err: unknown) =>
        this.deps.log(
          `rollout ${this.deps.name}: diagnosis of revision ${e.revision} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        ),
      )
    }
  }

  /**
   * The opt-in review before an automatic promotion: the report of the canary now, and the advisor's
   * answer within the time left. Never throws: no advisor or no answer is `unavailable`.
   */
  async review(revision: number, timeoutSeconds: number): Promise<PromotionReview> {
    const settings = this.#settings().advisor
    if (settings === undefined)
      return { revision, outcome: 'unavailable', summary: 'the spec names no advisor' }
    try {
      const started = Date.now()
      const report = await this.#serial(async () => {
        const r = await this.build(revision, 'pre-promotion')
        this.deps.store.diagnoses.put(this.deps.name, revision, r, r.createdAt)
        return r
      })
      const left = timeoutSeconds - (Date.now() - started) / 1000
      const record = await advise(report, settings, { timeoutSeconds: Math.max(1, left) })
      this.#storeAdvice(revision, record)
      const outcome = reviewOfPromotion(record.status === 'answered' ? record.advice : null)
      const summary =
        record.status === 'answered'
          ? `${record.advice.verdict} (confidence ${record.advice.confidence}): ${record.advice.suspectedCause}`.slice(
              0,
              300,
            )
          : record.reason.slice(0, 300)
      return { revision, outcome, summary }
    } catch (err) {
      return {
        revision,
        outcome: 'unavailable',
        summary: `no report: ${err instanceof Error ? err.message : String(err)}`,
      }
    }
  }

  /** The stored report of `revision` (or the latest), with the advisor's record. */
  stored(revision?: number): StoredDiagnosis | undefined {
    const row = this.deps.store.diagnoses.get(this.deps.name, revision)
    if (row === undefined) return undefined
    return { revision: row.revision, report: row.report, advisor: row.advisor }
  }
}
