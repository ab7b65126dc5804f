/**
 * A local rollout's proxy process and the router over it: adopted from a previous daemon or started,
 * recorded for the next daemon to adopt, started again when it dies, moved when the service port
 * changes. Its counters are read after every tick, for views and /metrics.
 */
import { ProxyRouter, type ProxyRouterOptions } from '../driver/proxy-router.js'
import { TrafficSnapshot } from '../metrics/traffic-reader.js'
import { ProxyHost } from '../proxy-host/host-process.js'
import { PROXY_RECORD_PREFIX, type ProxyHostRecord } from '../proxy-host/protocol.js'
import type { StateStore } from '../store/index.js'

export interface RolloutProxyDeps {
  name: string
  store: StateStore
  /** Where proxy sockets and logs go. */
  stateDir: string
  log: (line: string) => void
  /** The router's options as the rollout's config stands now (endpoints, sticky sessions). */
  routerOptions: () => ProxyRouterOptions
}

export class RolloutProxy {
  #host: ProxyHost | undefined
  #router: ProxyRouter | undefined
  /** The proxy's counters as last read. */
  #traffic = new TrafficSnapshot()

  constructor(private readonly deps: RolloutProxyDeps) {}

  /** The proxy process, while it runs. */
  get host(): ProxyHost | undefined {
    return this.#host
  }

  get traffic(): TrafficSnapshot {
    return this.#traffic
  }

  /** The router over the proxy; throws while the proxy is not running. */
  router(): ProxyRouter {
    if (this.#router === undefined) throw new Error('the proxy is not running')
    return this.#router
  }

  /** Adopts the proxy a previous daemon left serving on `servicePort` (0: any), or starts one. */
  async open(servicePort: number): Promise<void> {
    this.#host = await this.#adoptOrStart(servicePort)
    this.#router = new ProxyRouter(this.#host, this.deps.routerOptions())
    await this.readTraffic()
  }

  /** The proxy process, when it has died (else undefined). */
  dead(): ProxyHost | undefined {
    const host = this.#host
    return host === undefined || host.alive() ? undefined : host
  }

  /**
   * Starts a proxy again on the port of `dead` and gives it the routing table back; its counters
   * start from zero (the analysis windows say so as no data). Nothing to do once it was replaced.
   */
  async replace(dead: ProxyHost): Promise<void> {
    if (this.#host !== dead) return
    this.deps.log(
      `rollout ${this.deps.name}: its proxy (pid ${dead.record.pid}) is gone; starting another`,
    )
    const next = await this.#start(dead.port)
    this.#host = next
    await this.#router?.rebind(next, this.deps.routerOptions())
  }

  /** Serves on `port` instead: the new port first, so if it is taken the old one keeps serving. */
  async moveTo(port: number): Promise<void> {
    const old = this.#host
    if (old === undefined) return
    this.#host = await this.#start(port)
    await old.close(2000)
  }

  /** Gives the router the rollout's options again (after a new spec). */
  async rebind(): Promise<void> {
    if (this.#host !== undefined) await this.#router?.rebind(this.#host, this.deps.routerOptions())
  }

  /** Re-sends the routing with fresh endpoints. */
  refresh(): void {
    this.#router
      ?.refresh()
      .catch((err: unknown) =>
        this.deps.log(`rollout ${this.deps.name}: updating the proxy failed: ${String(err)}`),
      )
  }

  async readTraffic(): Promise<void> {
    const host = this.#host
    if (host === undefined) return
    try {
      this.#traffic = new TrafficSnapshot(await host.totals())
    } catch (err) {
      this.deps.log(
        `rollout ${this.deps.name}: reading the proxy's counters failed: ${String(err)}`,
      )
    }
  }

  /** Drains in-flight requests, stops the proxy and forgets its record. */
  async close(drainMs: number): Promise<void> {
    await this.#host?.close(drainMs)
    this.#remember(undefined)
  }

  #recordKey(): string {
    return `${PROXY_RECORD_PREFIX}${this.deps.name}`
  }

  /**
   * Records the proxy process for a later daemon to adopt. A record that cannot be written (a full
   * disk) costs only that: a later daemon starts a new proxy instead; serving goes on.
   */
  #remember(host: ProxyHost | undefined): void {
    try {
      if (host === undefined) this.deps.store.meta.delete(this.#recordKey())
      else this.deps.store.meta.set(this.#recordKey(), JSON.stringify(host.record))
    } catch (err) {
      this.deps.log(
        `rollout ${this.deps.name}: could not record its proxy (${err instanceof Error ? err.message : String(err)}); a restarted daemon will start a new one`,
      )
    }
  }

  async #adoptOrStart(servicePort: number): Promise<ProxyHost> {
    const recorded = this.deps.store.meta.get(this.#recordKey())
    if (recorded !== undefined) {
      const record = JSON.parse(recorded) as ProxyHostRecord
      if (record.port === servicePort || servicePort === 0) {
        const adopted = await ProxyHost.adopt(record)
        if (adopted !== undefined) {
          this.deps.log(
            `rollout ${this.deps.name}: adopted its proxy (pid ${record.pid}, port ${record.port})`,
          )
          return adopted
        }
      }
    }
    return this.#start(servicePort)
  }

  /** A new proxy process on `port`, recorded. */
  async #start(port: number): Promise<ProxyHost> {
    const started = await ProxyHost.start({
      name: this.deps.name,
      host: '127.0.0.1',
      port,
      stateDir: this.deps.stateDir,
    })
    this.#remember(started)
    return started
  }
}
