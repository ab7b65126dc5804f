/**
 * Draining and shutdown: requests in flight are counted so `close({ drainMs })` can stop accepting,
 * let them finish for a while, then tear down connections, tunnels and upstream pools.
 */
import type { Server, ServerResponse } from 'node:http'
import type { UpgradeTunnels } from './upgrade-tunnels.js'
import type { Upstreams } from './upstreams.js'

export class InFlightRequests {
  count = 0
  /** Set by shutdown: answers from then on tell the client not to reuse the connection. */
  closing = false
  readonly #idleWaiters: (() => void)[] = []
  // One function for every request, so tracking a request allocates no closure.
  readonly #settle = (): void => {
    this.count--
    if (this.count === 0) for (const w of this.#idleWaiters.splice(0)) w()
  }

  /** Counts the request until its response closes. */
  track(res: ServerResponse): void {
    this.count++
    res.once('close', this.#settle)
  }

  /** Resolves once nothing is in flight, or after `timeoutMs` whichever comes first. */
  idle(timeoutMs: number): Promise<unknown> {
    return Promise.race([
      new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
      new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ])
  }
}

export async function shutdown(
  server: Server,
  inFlight: InFlightRequests,
  tunnels: UpgradeTunnels,
  upstreams: Upstreams,
  drainMs: number,
): Promise<void> {
  inFlight.closing = true
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeIdleConnections()
  // Only wait when there is something to wait for: an idle proxy closes without yielding.
  if (inFlight.count > 0) await inFlight.idle(drainMs)
  server.closeAllConnections()
  tunnels.destroyAll()
  await closed
  await upstreams.close()
}
