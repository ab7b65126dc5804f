/**
 * The runner's ports for a flag rollout in local mode. The "workload" is always there (the app runs
 * whatever the variant), the router writes the new variant's share into the flag as a fractional
 * split, and the builtin metrics compare the outcomes the app reported for users in the new variant
 * with everyone else's.
 */
import type { Measurement, MeasurementRequest } from '../../analysis/types.js'
import type {
  MeasureContext,
  MetricProvider,
  TrafficRouter,
  WorkloadDriver,
} from '../../controller/ports.js'
import { checkRoutable } from '../../controller/routable.js'
import type { TrafficState } from '../../engine/status.js'
import type { VersionObservation } from '../../engine/types.js'
import { ROUTER_CAPABILITIES } from '../../engine/vocabulary.js'
import { readSplit, withSplit } from '../../flags/index.js'
import type { FlagService } from '../flags/flag-service.js'
import { backendId } from '../proxy/backend-id.js'
import { measureLocally, type TrafficWindowSource } from './builtin-metrics.js'

/** The variant each revision of the rollout releases. */
export type VariantOf = (revision: number | null) => string | undefined

/** Nothing to start or stop: the app serves every variant; a revision is ready as soon as asked for. */
export class FlagWorkloads implements WorkloadDriver {
  readonly #desired = new Map<number, number>()

  scale(revision: number, replicas: number): Promise<void> {
    this.#desired.set(revision, replicas)
    return Promise.resolve()
  }

  observe(revisions: number[]): Promise<Record<string, VersionObservation>> {
    const out: Record<string, VersionObservation> = {}
    for (const r of revisions) {
      const desired = this.#desired.get(r) ?? 0
      out[String(r)] = { desired, ready: desired, crashLooping: false }
    }
    return Promise.resolve(out)
  }
}

export class FlagRouter implements TrafficRouter {
  readonly capabilities = ROUTER_CAPABILITIES.flag
  #applied: TrafficState | null = null

  constructor(
    private readonly flags: FlagService,
    private readonly key: string,
    private readonly variantOf: VariantOf,
    /** Who the audit log names for the changes, e.g. `rollout/checkout`. */
    private readonly actor: string,
  ) {}

  apply(traffic: TrafficState): Promise<void> {
    try {
      checkRoutable('flag', this.capabilities, traffic)
      const stable = this.variantOf(traffic.stableRevision)
      // Before a first revision is stable, the flag serves as it was defined.
      if (stable !== undefined) {
        const split = {
          stableVariant: stable,
          canaryVariant: this.variantOf(traffic.canaryRevision) ?? null,
          canaryPercent: traffic.canaryWeight,
        }
        const current = this.flags.entry(this.key).flag
        const target = withSplit(current, split)
        if (JSON.stringify(target) !== JSON.stringify(current))
          this.flags.setFlag(this.key, target, this.actor, 'rollout')
      }
      this.#applied = structuredClone(traffic)
      return Promise.resolve()
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** The split the flag serves now, in the rollout's revisions (null before anything is applied). */
  verify(): Promise<TrafficState | null> {
    const applied = this.#applied
    if (applied === null) return Promise.resolve(null)
    const flag = this.flags.flagSet.definition(this.key)
    const split = flag === undefined ? undefined : readSplit(flag)
    const stable = this.variantOf(applied.stableRevision)
    if (stable === undefined) return Promise.resolve(structuredClone(applied))
    if (split === undefined) return Promise.resolve({ ...applied, canaryWeight: -1 })
    const canary = this.variantOf(applied.canaryRevision) ?? null
    const same =
      split.stableVariant === stable &&
      (split.canaryVariant === null || split.canaryVariant === canary)
    return Promise.resolve(
      same
        ? { ...structuredClone(applied), canaryWeight: split.canaryPercent }
        : { ...applied, canaryWeight: -1 },
    )
  }
}

/**
 * Builtin metrics of a flag rollout: the canary side is the users the app served the new variant,
 * the stable side everyone else it served (any other variant), from the outcomes it reported.
 */
export class FlagOutcomeMetrics implements MetricProvider {
  constructor(
    private readonly flags: FlagService,
    private readonly key: string,
    private readonly variantOf: VariantOf,
  ) {}

  measure(request: MeasurementRequest, context: MeasureContext): Promise<Measurement> {
    const { stableRevision, canaryRevision } = context.traffic
    const canary = this.variantOf(canaryRevision)
    const source: TrafficWindowSource = {
      window: (backend, from, to) =>
        this.flags.outcomes.window(
          this.key,
          canaryRevision !== null && backend === backendId(canaryRevision)
            ? (v) => v === canary
            : (v) => v !== canary,
          from,
          to,
        ),
    }
    return Promise.resolve(
      measureLocally(request, source, { stableRevision, canaryRevision }, context.now),
    )
  }
}
