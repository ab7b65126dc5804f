/**
 * The rollout plan: a Rollout spec normalised for the engine — every default applied, the Flagger
 * shorthand expanded into steps, analysis templates resolved. `normalizeRollout` (src/spec) builds it;
 * the engine reads nothing else.
 */
import type { AnalysisPlan, JudgeName } from '../analysis/types.js'
import type {
  NOTIFICATION_PROVIDERS,
  RouterCapabilities,
  SEVERITIES,
  WEBHOOK_TYPES,
} from './vocabulary.js'

export interface HeaderMatch {
  headerName: string
  headerValue: { exact?: string; prefix?: string; regex?: string }
}

export interface CookieMatch {
  cookieName: string
  cookieValue: { exact?: string; prefix?: string; regex?: string }
}

export type RequestMatch = HeaderMatch | CookieMatch

/** A match as people write it: `x-canary: insider`, `cookie beta=1`, `x-user: ~^qa-` (regex). */
export function describeMatch(m: RequestMatch): string {
  const v = 'headerName' in m ? m.headerValue : m.cookieValue
  const value =
    v.exact !== undefined ? v.exact : v.prefix !== undefined ? `${v.prefix}*` : `~${v.regex ?? ''}`
  return 'headerName' in m ? `${m.headerName}: ${value}` : `cookie ${m.cookieName}=${value}`
}

export type CanaryStep =
  | { kind: 'setWeight'; weight: number }
  /** durationSeconds undefined = wait until promoted. */
  | { kind: 'pause'; durationSeconds?: number }
  | { kind: 'analysis'; analysis: AnalysisPlan }
  /** Requests matching any match go to the canary; an empty match list removes the route. */
  | { kind: 'setHeaderRoute'; name: string; match: RequestMatch[] }
  /** A percentage of (matching) requests is copied to the canary, responses discarded; 0 removes it. */
  | { kind: 'setMirrorRoute'; name: string; percentage: number; match: RequestMatch[] }
  | {
      kind: 'setCanaryScale'
      replicas?: number
      weight?: number
      matchTrafficWeight?: boolean
    }

export interface CanaryPlan {
  kind: 'canary'
  steps: CanaryStep[]
  /** Seconds to keep an aborted canary's replicas before scaling them down. */
  abortScaleDownDelaySeconds: number
  /** Seconds to keep the old stable's replicas after promotion. */
  scaleDownDelaySeconds: number
  /** A/B: when set, the canary only ever receives matching requests (no weighted split). */
  ab?: { match: RequestMatch[] }
}

export interface BlueGreenPlan {
  kind: 'blueGreen'
  autoPromotionEnabled: boolean
  /** Promote automatically this many seconds after the preview is ready (undefined = at once). */
  autoPromotionSeconds?: number
  prePromotionAnalysis?: AnalysisPlan
  postPromotionAnalysis?: AnalysisPlan
  scaleDownDelaySeconds: number
  /** Replicas of the preview before promotion (undefined = full size). */
  previewReplicaCount?: number
  /** Mirror this percentage of live traffic to the preview while it waits (dark launch). */
  previewMirrorPercentage?: number
}

export interface RollingPlan {
  kind: 'rolling'
  /** Absolute replica counts, resolved from percentages against `replicas`. */
  maxSurge: number
  maxUnavailable: number
}

export type StrategyPlan = CanaryPlan | BlueGreenPlan | RollingPlan

export type WebhookType = (typeof WEBHOOK_TYPES)[number]

export interface WebhookPlan {
  name: string
  type: WebhookType
  url: string
  timeoutSeconds: number
  metadata: Record<string, string>
  retries: number
}

export type NotificationProvider = (typeof NOTIFICATION_PROVIDERS)[number]
export type Severity = (typeof SEVERITIES)[number]

export interface NotificationPlan {
  provider: NotificationProvider
  url: string
  severity: Severity
}

export interface RolloutPlan {
  name: string
  /** Revision number of the workload template this plan wants running. */
  revision: number
  replicas: number
  strategy: StrategyPlan
  /** Background analysis across all steps, if any. */
  analysis?: AnalysisPlan
  /** The judge for step analyses that don't pick one. */
  judge: JudgeName
  webhooks: WebhookPlan[]
  notifications: NotificationPlan[]
  progressDeadlineSeconds: number
  /** Roll back (rather than only report) when the progress deadline passes. */
  progressDeadlineAbort: boolean
  paused: boolean
  /** Router supports header routes and mirroring (the local proxy, Istio, Gateway API…). */
  routerCapabilities: RouterCapabilities
  /**
   * Opt-in (`spec.analysis.advisor.pauseOnDisagreement`): before the canary's automatic promotion an
   * advisor reviews it, for at most `timeoutSeconds`; if it disagrees the promotion becomes a pause
   * for a person. No answer, or agreement, and the promotion goes on: the review can only hold it.
   */
  advisorGate?: { timeoutSeconds: number }
}
