/**
 * The runner's `WorkloadDriver` in local mode: each revision of a rollout is a replica set of local
 * processes run by the supervisor, started from that revision's workload template.
 */
import type { WorkloadDriver } from '../../controller/ports.js'
import type { VersionObservation, WorkloadProblem } from '../../engine/types.js'
import type { ProcessTemplate } from '../daemon/rollout-document.js'
import type { ReplicaProblem, Supervisor } from '../supervisor/index.js'

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
          : {
              desired: set.desired,
              ready: set.ready,
              crashLooping: set.crashLooping,
              ...(set.problem === undefined
                ? {}
                : { problem: this.#withHint(set.problem, this.templates().get(revision)) }),
            }
    }
    return Promise.resolve(versions)
  }

  /** The supervisor's facts plus what to change in the spec about them. */
  #withHint(problem: ReplicaProblem, template: ProcessTemplate | undefined): WorkloadProblem {
    const logs = `its output: \`kanari logs ${this.rollout}\` (add --canary for a canary)`
    const hints: Record<WorkloadProblem['reason'], string> = {
      CommandNotFound:
        "fix spec.workload.process.command (an absolute path, or a command on the daemon's PATH) and apply again",
      CannotStart:
        'check that spec.workload.process.command is executable and spec.workload.process.cwd exists, then apply again',
      ExitedAtStart: `${logs}; fix the app or its spec.workload.process.env and apply again`,
      CrashLoop: `${logs}; fix the app or its spec.workload.process.env and apply again`,
      NotReady:
        template?.readiness === undefined
          ? 'make the app listen on 127.0.0.1 at the port in $PORT, or give spec.workload.process.readiness'
          : `make the app listen on 127.0.0.1 at the port in $PORT and answer GET ${template.readiness.httpGet} below 400, or fix spec.workload.process.readiness`,
    }
    return { reason: problem.reason, message: problem.message, hint: hints[problem.reason] }
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
