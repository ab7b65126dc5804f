/**
 * The rollout plan: a Rollout spec normalised for the engine — every default applied, the Flagger
 * shorthand expanded into steps, analysis templates resolved. `normalizeRollout` (src/spec) builds it;
 * the engine reads nothing else.
 */
import type { AnalysisPlan, JudgeName } from '../analysis/types.js'
import type { EventReason } from './events.js'
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

/**
 * A bounded load run a webhook starts, so a canary is never judged on zero traffic: the load
 * generator of `kanari loadtest`, run by the driver (local mode: the daemon).
 */
export interface LoadtestPlan {
  /** Where to send requests; undefined = the rollout's own service (its proxy), at `path`. */
  url?: string
  /** Path on the rollout's service when `url` is not given. */
  path: string
  method: string
  headers: Record<string, string>
  body?: string
  /** Requests per second, scheduled by the clock. */
  ratePerSecond: number
  durationSeconds: number
  /** Most requests in flight at once. */
  concurrency: number
}

/** What a webhook calls: an HTTP URL, a manual gate of the driver, or a load run the driver starts. */
export type WebhookTarget =
  | { kind: 'url'; url: string }
  | { kind: 'gate'; gate: string }
  | { kind: 'loadtest'; loadtest: LoadtestPlan }

export interface WebhookPlan {
  name: string
  type: WebhookType
  target: WebhookTarget
  /** Per attempt. */
  timeoutSeconds: number
  metadata: Record<string, string>
  /** Attempts after the first, for a call that got no answer, a 429 or a 5xx. */
  retries: number
}

export type NotificationProvider = (typeof NOTIFICATION_PROVIDERS)[number]
export type Severity = (typeof SEVERITIES)[number]

/** Where a secret is read when it is needed: an environment variable or a file. */
export type SecretSource = { env: string } | { file: string }

export interface NotificationPlan {
  /** Unique within the rollout (default: the provider's name). */
  name: string
  provider: NotificationProvider
  /** Where the webhook URL is read: it is a secret, so the plan holds only where it is. */
  urlFrom: SecretSource
  /** The lowest severity sent. */
  severity: Severity
  /** The event reasons sent (before the severity filter). */
  events: EventReason[]
  timeoutSeconds: number
  /** Attempts after the first failed one, with growing pauses between them. */
  retries: number
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
  /** Seconds between calls of rollout and rollback webhooks, and between asks of a closed gate. */
  webhookIntervalSeconds: number
  /**
   * Failed checks — failed pre-rollout and rollout webhook calls, with the threshold judge's failed
   * checks of finished steps — at which the release is rolled back (Flagger's threshold).
   */
  failedChecksThreshold: number
  /** Reported to webhooks as `namespace` (metadata.namespace, `default` when not set). */
  namespace: string
  /** Identifies the workload template of `revision`: the `checksum` webhooks receive. */
  checksum: string
  notifications: NotificationPlan[]
  progressDeadlineSeconds: number
  /** Roll back (rather than only report) when the progress deadline passes. */
  progressDeadlineAbort: boolean
  /**
   * How long a release frozen by a failed analysis waits for a person before it is rolled back:
   * `spec.progressDeadlineSeconds` when the spec sets it (and progressDeadlineAbort is not false).
   * Absent: it waits until someone acts.
   */
  frozenDeadlineSeconds?: number
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
