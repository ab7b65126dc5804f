/**
 * A tiny in-memory world for engine tests: it carries out scale actions (replicas become ready after
 * a configurable number of ticks), records traffic changes and events, and answers measurements.
 */
import type { Measurement, MeasurementRequest } from '../../analysis/types.js'
import type { RolloutCommand } from '../commands.js'
import { applyCommand } from '../commands.js'
import type { RolloutPlan } from '../plan.js'
import { reconcile } from '../reconcile.js'
import { initialStatus, type RolloutStatus } from '../status.js'
import type { EngineAction, Observations } from '../types.js'

export type Answer = (request: MeasurementRequest) => Omit<Measurement, 'metric' | 'at'>

export class World {
  status: RolloutStatus = initialStatus()
  now = 1_700_000_000_000
  readonly desired = new Map<number, number>()
  readonly ready = new Map<number, number>()
  readonly crashLooping = new Set<number>()
  readonly log: EngineAction[] = []
  pending: { runId: string; measurement: Measurement }[] = []
  /** Replicas become ready this many ticks after being asked for (0 = at once). */
  readyDelayTicks = 0
  private readonly waiting: { revision: number; ticksLeft: number }[] = []

  constructor(
    public plan: RolloutPlan,
    public answer: Answer = () => ({ value: 0 }),
  ) {}

  observations(): Observations {
    const versions: Observations['versions'] = {}
    for (const [rev, desired] of this.desired) {
      versions[String(rev)] = {
        desired,
        ready: Math.min(desired, this.ready.get(rev) ?? 0),
        crashLooping: this.crashLooping.has(rev),
      }
    }
    return { versions, measurements: this.pending }
  }

  /** One tick: reconcile, then carry out the actions. Returns the actions of this tick. */
  tick(): EngineAction[] {
    for (const w of this.waiting) w.ticksLeft--
    for (const w of this.waiting.filter((x) => x.ticksLeft <= 0))
      this.ready.set(w.revision, this.desired.get(w.revision) ?? 0)
    this.waiting.splice(0, this.waiting.length, ...this.waiting.filter((x) => x.ticksLeft > 0))
    const { status, actions } = reconcile(this.plan, this.status, this.observations(), this.now)
    this.status = status
    this.pending = []
    for (const a of actions) this.execute(a)
    this.log.push(...actions)
    return actions
  }

  private execute(a: EngineAction): void {
    if (a.type === 'scale') {
      this.desired.set(a.revision, a.replicas)
      if (a.replicas < (this.ready.get(a.revision) ?? 0) || this.readyDelayTicks === 0)
        this.ready.set(a.revision, a.replicas)
      else this.waiting.push({ revision: a.revision, ticksLeft: this.readyDelayTicks })
    } else if (a.type === 'measure') {
      this.pending.push({
        runId: a.request.runId,
        measurement: { metric: a.request.metric, at: a.request.to, ...this.answer(a.request) },
      })
    }
  }

  /** Advances the clock by `seconds`, ticking once per `stepSeconds`. */
  run(seconds: number, stepSeconds = 1): void {
    for (let i = 0; i < seconds / stepSeconds; i++) {
      this.now += stepSeconds * 1000
      this.tick()
    }
  }

  /** Ticks until `until` holds (or throws after `maxSeconds` of virtual time). */
  runUntil(until: (s: RolloutStatus) => boolean, maxSeconds = 3600): void {
    for (let i = 0; i < maxSeconds; i++) {
      if (until(this.status)) return
      this.now += 1000
      this.tick()
    }
    throw new Error(
      `condition not reached in ${maxSeconds}s; phase ${this.status.phase}: ${this.status.message}`,
    )
  }

  command(c: RolloutCommand): void {
    this.status = applyCommand(this.plan, this.status, c, this.now)
  }

  release(revision: number, changes: Partial<RolloutPlan> = {}): void {
    this.plan = { ...this.plan, ...changes, revision }
  }

  events(reason?: string): string[] {
    return this.log
      .filter((a) => a.type === 'event' && (reason === undefined || a.reason === reason))
      .map((a) => (a.type === 'event' ? `${a.reason}: ${a.message}` : ''))
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
