/**
 * The runner's `WorkloadDriver` in local mode: each revision of a rollout is a replica set of local
 * processes run by the supervisor, started from that revision's workload template.
 */
import type { WorkloadDriver } from '../../controller/ports.js'
import type { VersionObservation } from '../../engine/types.js'
import type { ProcessTemplate } from '../daemon/rollout-document.js'
import type { Supervisor } from '../supervisor/index.js'

/** The supervisor's key for a rollout's revision; made here, never parsed back. */
export function replicaSetKey(rollout: string, revision: number): string {
  return `${rollout}@${revision}`
}

export class ProcessWorkloads implements WorkloadDriver {
  /** The supervisor's replica sets this rollout has asked for. */
  readonly #keys = new Set<string>()

  constructor(
    private readonly supervisor: Supervisor,
    private readonly rollout: string,
    /** The workload template of every revision the rollout has had. */
    private readonly templates: () => ReadonlyMap<number, ProcessTemplate>,
    private readonly log: (line: string) => void,
  ) {}

  scale(revision: number, replicas: number): Promise<void> {
    const key = replicaSetKey(this.rollout, revision)
    this.#keys.add(key)
    if (replicas <= 0) {
      // Stopping waits for the replicas to exit; the tick does not.
      void this.supervisor
        .remove(key)
        .catch((err: unknown) =>
          this.log(`rollout ${this.rollout}: stopping ${key} failed: ${String(err)}`),
        )
      return Promise.resolve()
    }
    const template = this.templates().get(revision)
    if (template === undefined)
      return Promise.reject(
        new Error(`no workload template for revision ${revision}; cannot scale it`),
      )
    this.supervisor.apply({
      key,
      command: template.command,
      cwd: template.cwd,
      env: { ...template.env, KANARI_ROLLOUT: this.rollout, KANARI_REVISION: String(revision) },
      replicas,
      ...(template.readiness === undefined ? {} : { readiness: template.readiness }),
    })
    return Promise.resolve()
  }

  observe(revisions: number[]): Promise<Record<string, VersionObservation>> {
    const versions: Record<string, VersionObservation> = {}
    for (const revision of revisions) {
      const set = this.supervisor.status(replicaSetKey(this.rollout, revision))
      versions[String(revision)] =
        set === undefined
          ? { desired: 0, ready: 0, crashLooping: false }
          : { desired: set.desired, ready: set.ready, crashLooping: set.crashLooping }
    }
    return Promise.resolve(versions)
  }

  /** Whether a supervisor replica set is one of this rollout's. */
  owns(key: string): boolean {
    return this.#keys.has(key)
  }

  /**
   * Endpoints of a revision for the proxy: the ready replicas, and replicas adopted from a previous
   * daemon that have not been probed yet — they were serving a moment ago, and dropping them until
   * the first probe would turn a daemon restart into errors for users.
   */
  endpoints(revision: number): { host: string; port: number }[] {
    const set = this.supervisor.status(replicaSetKey(this.rollout, revision))
    if (set === undefined) return []
    const unprobed = set.replicas
      .filter((r) => r.adopted && r.state === 'starting')
      .map((r) => ({ host: '127.0.0.1', port: r.port }))
    return unprobed.length === 0 ? set.endpoints : [...set.endpoints, ...unprobed]
  }
}
