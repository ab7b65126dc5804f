/**
 * A decorator over a Kubernetes traffic router: it answers where stable's share was routed by the
 * last apply (read from the routing object's record), and tells its owner after every apply — the
 * driver scales the target down only once traffic has left it.
 */
import type { RouterCapabilities, TrafficRouter } from '../../controller/ports.js'
import type { TrafficState } from '../../engine/status.js'
import type { Backend } from '../workloads/deployment-workloads.js'

/** A router whose routing object records the state it expresses (every Kubernetes router). */
export interface RecordingRouter extends TrafficRouter {
  recorded(): Promise<{ stable: Backend } | undefined>
  /** The data plane reports the routing object as it is now (true when it reports nothing). */
  observed?(): Promise<boolean>
}

export interface KubeTrafficRouter extends TrafficRouter {
  /** The Service stable's share was sent to by the last apply (undefined before any). */
  routedStable(): Promise<Backend | undefined>
  /** The data plane reports the routing object as it is now (true when it reports nothing). */
  observed(): Promise<boolean>
}

export class StableTrackingRouter implements KubeTrafficRouter {
  constructor(
    private readonly inner: RecordingRouter,
    /** Where stable's share belongs right now. */
    private readonly stableBackend: () => Backend,
    /** Called after each apply with where it sent stable's share. */
    private readonly onApplied: (stable: Backend) => void = () => undefined,
  ) {}

  get capabilities(): RouterCapabilities {
    return this.inner.capabilities
  }

  async apply(traffic: TrafficState): Promise<void> {
    const stable = this.stableBackend()
    await this.inner.apply(traffic)
    this.onApplied(stable)
  }

  verify(): Promise<TrafficState | null> {
    return this.inner.verify()
  }

  observed(): Promise<boolean> {
    return this.inner.observed?.() ?? Promise.resolve(true)
  }

  async routedStable(): Promise<Backend | undefined> {
    return (await this.inner.recorded())?.stable
  }
}
