/**
 * A tiny in-memory world for engine tests, driven through the real runner: replicas become ready a
 * configurable number of ticks after being asked for, the router remembers, measurements are answered
 * by a function, and every action and event is recorded.
 */
import type { Measurement, MeasurementRequest } from '../../analysis/types.js'
import type { RolloutCommand } from '../../engine/commands.js'
import type { RolloutPlan } from '../../engine/plan.js'
import { initialStatus, type RolloutStatus } from '../../engine/status.js'
import type {
  EngineAction,
  Observations,
  VersionObservation,
  WorkloadProblem,
} from '../../engine/types.js'
import { MemoryEventSink } from '../memory-sink.js'
import { MemoryRolloutStore } from '../memory-store.js'
import { MemoryRouter } from '../memory-router.js'
import type { MetricProvider, PromotionReviewer, WebhookCaller, WorkloadDriver } from '../ports.js'
import { RolloutRunner, type TickReport } from '../runner.js'

export type Answer = (request: MeasurementRequest) => Omit<Measurement, 'metric' | 'at'>

/** Replicas in memory; readiness arrives `readyDelayTicks` ticks after a scale up. */
export class TickedWorkloads implements WorkloadDriver {
  readonly desired = new Map<number, number>()
  readonly ready = new Map<number, number>()
  readonly crashLooping = new Set<number>()
  /** What the driver says is wrong with a revision's replicas. */
  readonly problems = new Map<number, WorkloadProblem>()
  readyDelayTicks = 0
  readonly #waiting: { revision: number; ticksLeft: number }[] = []

  scale(revision: number, replicas: number): Promise<void> {
    this.desired.set(revision, replicas)
    if (replicas < (this.ready.get(revision) ?? 0) || this.readyDelayTicks === 0)
      this.ready.set(revision, replicas)
    else this.#waiting.push({ revision, ticksLeft: this.readyDelayTicks })
    return Promise.resolve()
  }

  /** A tick passed: replicas whose delay is over become ready. */
  advance(): void {
    for (const w of this.#waiting) w.ticksLeft--
    for (const w of this.#waiting.filter((x) => x.ticksLeft <= 0))
      this.ready.set(w.revision, this.desired.get(w.revision) ?? 0)
    this.#waiting.splice(0, this.#waiting.length, ...this.#waiting.filter((x) => x.ticksLeft > 0))
  }

  versions(): Record<string, VersionObservation> {
    const versions: Record<string, VersionObservation> = {}
    for (const [rev, desired] of this.desired) {
      const problem = this.problems.get(rev)
      versions[String(rev)] = {
        desired,
        ready: Math.min(desired, this.ready.get(rev) ?? 0),
        crashLooping: this.crashLooping.has(rev),
        ...(problem === undefined ? {} : { problem }),
      }
    }
    return versions
  }

  observe(revisions: number[]): Promise<Record<string, VersionObservation>> {
    const all = this.versions()
    const out: Record<string, VersionObservation> = {}
    for (const r of revisions) {
      const v = all[String(r)]
      if (v !== undefined) out[String(r)] = v
    }
    return Promise.resolve(out)
  }
}

export class World {
  now = 1_700_000_000_000
  readonly log: EngineAction[] = []
  /** Every tick's report, with the status before it: what a daemon's tick observers see. */
  readonly reports: { before: RolloutStatus; report: TickReport }[] = []
  readonly router = new MemoryRouter()
  readonly sink = new MemoryEventSink()
  readonly #workloads = new TickedWorkloads()
  /** Answers review actions (the advisor gate); unset: every review is unavailable. */
  reviewer: PromotionReviewer | undefined
  readonly #runner: RolloutRunner

  readonly store = new MemoryRolloutStore()

  constructor(
    public plan: RolloutPlan,
    public answer: Answer = () => ({ value: 0 }),
    /** Webhook calls go here (a real HTTP caller in the webhook tests). */
    webhooks?: WebhookCaller,
  ) {
    const store = this.store
    store.create(plan.name, initialStatus())
    const provider: MetricProvider = {
      measure: (request) =>
        Promise.resolve({ metric: request.metric, at: request.to, ...this.answer(request) }),
    }
    this.#runner = new RolloutRunner(
      {
        workloads: this.#workloads,
        router: this.router,
        metrics: { builtin: provider, prometheus: provider, web: provider, command: provider },
        store,
        sinks: [this.sink],
        reviewer: {
          review: (revision, timeoutSeconds) =>
            this.reviewer === undefined
              ? Promise.resolve({
                  revision,
                  outcome: 'unavailable' as const,
                  summary: 'no reviewer in this world',
                })
              : this.reviewer.review(revision, timeoutSeconds),
        },
        ...(webhooks === undefined ? {} : { webhooks }),
      },
      { name: plan.name, plan, status: initialStatus(), measurements: 'await', driver: 'tests' },
    )
  }

  get status(): RolloutStatus {
    return this.#runner.status
  }

  get desired(): Map<number, number> {
    return this.#workloads.desired
  }

  get ready(): Map<number, number> {
    return this.#workloads.ready
  }

  get crashLooping(): Set<number> {
    return this.#workloads.crashLooping
  }

  get problems(): Map<number, WorkloadProblem> {
    return this.#workloads.problems
  }

  get readyDelayTicks(): number {
    return this.#workloads.readyDelayTicks
  }

  set readyDelayTicks(ticks: number) {
    this.#workloads.readyDelayTicks = ticks
  }

  /** What the next tick will observe (readiness as it stands, answers not yet folded in). */
  observations(): Observations {
    return {
      versions: this.#workloads.versions(),
      measurements: [...this.#runner.pendingMeasurements],
      reviews: [...this.#runner.pendingReviews],
      webhooks: [...this.#runner.pendingWebhookAnswers],
    }
  }

  /** One tick through the runner. Returns the actions of this tick. */
  async tick(): Promise<EngineAction[]> {
    this.#workloads.advance()
    const before = this.#runner.status
    const report = await this.#runner.tickOnce(this.now)
    this.reports.push({ before, report })
    this.log.push(...report.actions)
    return report.actions
  }

  /** Advances the clock by `seconds`, ticking once per `stepSeconds`. */
  async run(seconds: number, stepSeconds = 1): Promise<void> {
    for (let i = 0; i < seconds / stepSeconds; i++) {
      this.now += stepSeconds * 1000
      await this.tick()
    }
  }

  /** Ticks until `until` holds (or throws after `maxSeconds` of virtual time). */
  async runUntil(until: (s: RolloutStatus) => boolean, maxSeconds = 3600): Promise<void> {
    for (let i = 0; i < maxSeconds; i++) {
      if (until(this.status)) return
      this.now += 1000
      await this.tick()
    }
    throw new Error(
      `condition not reached in ${maxSeconds}s; phase ${this.status.phase}: ${this.status.message}`,
    )
  }

  async command(c: RolloutCommand): Promise<void> {
    await this.#runner.command(c, this.now)
  }

  release(revision: number, changes: Partial<RolloutPlan> = {}): void {
    this.plan = { ...this.plan, ...changes, revision }
    void this.#runner.update(this.plan)
  }

  /** `reason: message` of every event so far (of one reason when given). */
  events(reason?: string): string[] {
    return this.sink.events
      .filter((e) => reason === undefined || e.reason === reason)
      .map((e) => `${e.reason}: ${e.message}`)
  }

  /** The canary weights the router was sent, in order, each change once. */
  weights(): number[] {
    const out: number[] = []
    let last = 0
    for (const a of this.log) {
      if (a.type !== 'setTraffic' || a.traffic.canaryWeight === last) continue
      last = a.traffic.canaryWeight
      out.push(last)
    }
    return out
  }
}
