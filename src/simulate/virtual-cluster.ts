/**
 * Simulate's workload driver: replicas in virtual time. A scale up becomes ready `readySeconds` of
 * virtual time later; a scale down removes the newest replicas first.
 */
import type { WorkloadDriver } from '../controller/ports.js'
import type { VersionObservation } from '../engine/types.js'

export class VirtualCluster implements WorkloadDriver {
  readonly desired = new Map<number, number>()
  readonly #readyAt = new Map<number, { count: number; at: number }[]>()

  constructor(
    private readonly clock: () => number,
    public readySeconds: number,
  ) {}

  scale(revision: number, replicas: number): Promise<void> {
    const now = this.clock()
    const before = this.desired.get(revision) ?? 0
    this.desired.set(revision, replicas)
    const batches = (this.#readyAt.get(revision) ?? []).slice()
    if (replicas > before)
      batches.push({ count: replicas - before, at: now + this.readySeconds * 1000 })
    else {
      let remove = before - replicas
      while (remove > 0 && batches.length > 0) {
        const last = batches[batches.length - 1]
        if (last === undefined) break
        const take = Math.min(remove, last.count)
        last.count -= take
        remove -= take
        if (last.count === 0) batches.pop()
      }
    }
    this.#readyAt.set(revision, batches)
    return Promise.resolve()
  }

  observe(revisions: number[]): Promise<Record<string, VersionObservation>> {
    const now = this.clock()
    const versions: Record<string, VersionObservation> = {}
    for (const rev of revisions) {
      const desired = this.desired.get(rev)
      if (desired === undefined) continue
      const ready = (this.#readyAt.get(rev) ?? [])
        .filter((b) => b.at <= now)
        .reduce((n, b) => n + b.count, 0)
      versions[String(rev)] = { desired, ready: Math.min(ready, desired), crashLooping: false }
    }
    return Promise.resolve(versions)
  }
}
