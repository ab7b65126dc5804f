/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's: a candidate takes the lease
 * when it is free or its holder has not renewed it for `leaseDurationSeconds` of the candidate's
 * own clock (clocks of different machines are never compared); the leader renews every
 * `retryPeriodSeconds` and steps down when it could not renew for `renewDeadlineSeconds`. Every
 * write carries the resourceVersion read, so of two candidates only one wins (409 for the other).
 */
import { isConflict, isNotFound } from './errors.js'
import type { KubeApi } from './api.js'
import { RESOURCES, type KubeObject } from './types.js'

export interface LeaseSpec {
  holderIdentity?: string | null
  leaseDurationSeconds?: number
  acquireTime?: string | null
  renewTime?: string | null
  leaseTransitions?: number
}

type Lease = KubeObject & { spec?: LeaseSpec }

export interface LeaderElectionOptions {
  namespace: string
  name: string
  identity: string
  leaseDurationSeconds: number
  renewDeadlineSeconds: number
  retryPeriodSeconds: number
  onStartedLeading: () => void
  /** Called once when leadership is lost (the controller stops acting; its process exits). */
  onStoppedLeading: () => void
  log?: (line: string) => void
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

export class LeaderElector {
  #leading = false
  #stopped = false
  #timer: NodeJS.Timeout | undefined
  #wake: (() => void) | undefined
  /** The lease as last seen, and when (our clock) its record last changed. */
  #observed: { record: string; at: number } | undefined
  #lastRenew = 0
  #loop: Promise<void> | undefined

  constructor(
    private readonly client: KubeApi,
    private readonly options: LeaderElectionOptions,
  ) {}

  get isLeader(): boolean {
    return this.#leading
  }

  start(): void {
    this.#loop ??= this.#run()
  }

  /** Stops campaigning; a leader gives the lease up so a standby takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#wake?.()
    await this.#loop
    if (this.#leading) {
      this.#leading = false
      await this.#release().catch(() => undefined)
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let ok = false
      try {
        ok = await this.#tryAcquireOrRenew()
      } catch (err) {
        this.options.log?.(
          `leader election: ${err instanceof Error ? err.message : String(err)} (retrying)`,
        )
      }
      const now = Date.now()
      if (ok) {
        this.#lastRenew = now
        if (!this.#leading) {
          this.#leading = true
          this.options.log?.(`leader election: ${this.options.identity} is the leader`)
          this.options.onStartedLeading()
        }
      } else if (
        this.#leading &&
        now - this.#lastRenew > this.options.renewDeadlineSeconds * 1000
      ) {
        this.#leading = false
        this.options.log?.(`leader election: ${this.options.identity} lost the lease`)
        this.options.onStoppedLeading()
      }
      await new Promise<void>((r) => {
        this.#wake = r
        this.#timer = setTimeout(r, this.options.retryPeriodSeconds * 1000)
      })
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.options
    const now = Date.now()
    let lease: Lease | undefined
    try {
      lease = await this.client.get<Lease>(RESOURCES.leases, namespace, name)
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
    if (lease === undefined) {
      try {
        await this.client.create<Lease>(RESOURCES.leases, namespace, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        })
        return true
      } catch (err) {
        if (isConflict(err)) return false
        throw err
      }
    }
    const spec = lease.spec ?? {}
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime])
    if (this.#observed?.record !== record) this.#observed = { record, at: now }
    const holder = spec.holderIdentity ?? ''
    const duration = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000
    if (holder !== '' && holder !== identity && now < this.#observed.at + duration) return false
    const transitions = spec.leaseTransitions ?? 0
    const next: Lease = {
      ...lease,
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: holder === identity ? (spec.acquireTime ?? microTime(now)) : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: holder === identity ? transitions : transitions + 1,
      },
    }
    try {
      await this.client.replace(RESOURCES.leases, namespace, next)
      return true
    } catch (err) {
      if (isConflict(err)) return false
      throw err
    }
  }

  /** Gives the lease up: empty holder, so a standby need not wait out the lease duration. */
  async #release(): Promise<void> {
    const lease = await this.client.get<Lease>(
      RESOURCES.leases,
      this.options.namespace,
      this.options.name,
    )
    if (lease.spec?.holderIdentity !== this.options.identity) return
    await this.client.replace(RESOURCES.leases, this.options.namespace, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
    })
  }
}
