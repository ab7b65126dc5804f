/** The routing table Kanari's local proxy enforces, as the daemon hands it over. */
import type { RequestMatch } from '../../engine/plan.js'

export interface Endpoint {
  host: string
  port: number
}

export interface Backend {
  /** e.g. "rev-3": `backendId(revision)` (./backend-id.ts) */
  id: string
  /** The revision behind it, for whoever reads the table back (the proxy routes by id). */
  revision?: number
  /** Its part in the rollout, for the proxy's own metrics (routing ignores it). */
  role?: 'stable' | 'canary'
  endpoints: Endpoint[]
}

export interface ProxyRoutes {
  backends: Backend[]
  /** Weighted split between backends; the weights sum to 100. */
  weights: { backend: string; weight: number }[]
  /** Hash of this cookie's or header's value picks the side, so one user keeps one version. */
  sticky?: { cookie?: string; header?: string }
  /** Checked in order before the weights: a request matching any match goes to the route's backend. */
  headerRoutes: { name: string; match: RequestMatch[]; backend: string }[]
  /** Copy this percentage of (matching) requests to `backend`; its responses are discarded. */
  mirror?: { name: string; backend: string; percentage: number; match: RequestMatch[] }
}
