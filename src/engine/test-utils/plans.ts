/** Plan builders for engine tests: small, explicit plans with every default visible. */
import type { AnalysisPlan, MetricPlan } from '../../analysis/types.js'
import type { BlueGreenPlan, CanaryPlan, CanaryStep, RolloutPlan, RollingPlan } from '../plan.js'

export function errorRateMetric(overrides: Partial<MetricPlan> = {}): MetricPlan {
  return {
    name: 'error-rate',
    provider: { kind: 'builtin', metric: 'error-rate' },
    intervalSeconds: 10,
    count: 1,
    initialDelaySeconds: 0,
    thresholdRange: { max: 1 },
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
    errorGraceSeconds: 60,
    ...overrides,
  }
}

export function analysisPlan(overrides: Partial<AnalysisPlan> = {}): AnalysisPlan {
  return {
    kind: 'step',
    judge: 'limit',
    metrics: [errorRateMetric()],
    threshold: 5,
    alpha: 0.05,
    minCanaryRequests: 10,
    ...overrides,
  }
}

export function canaryPlan(
  steps: CanaryStep[],
  overrides: Partial<RolloutPlan> = {},
  strategy: Partial<CanaryPlan> = {},
): RolloutPlan {
  return basePlan(
    {
      kind: 'canary',
      steps,
      abortScaleDownDelaySeconds: 30,
      scaleDownDelaySeconds: 30,
      ...strategy,
    },
    overrides,
  )
}

export function blueGreenPlan(
  strategy: Partial<BlueGreenPlan> = {},
  overrides: Partial<RolloutPlan> = {},
): RolloutPlan {
  return basePlan(
    { kind: 'blueGreen', autoPromotionEnabled: true, scaleDownDelaySeconds: 30, ...strategy },
    overrides,
  )
}

export function rollingPlan(
  strategy: Partial<RollingPlan> = {},
  overrides: Partial<RolloutPlan> = {},
): RolloutPlan {
  return basePlan({ kind: 'rolling', maxSurge: 1, maxUnavailable: 0, ...strategy }, overrides)
}

function basePlan(strategy: RolloutPlan['strategy'], overrides: Partial<RolloutPlan>): RolloutPlan {
  return {
    name: 'checkout',
    revision: 1,
    replicas: 3,
    strategy,
    judge: 'limit',
    webhooks: [],
    webhookIntervalSeconds: 10,
    failedChecksThreshold: 5,
    namespace: 'default',
    checksum: 'c0ffee',
    notifications: [],
    progressDeadlineSeconds: 600,
    progressDeadlineAbort: true,
    paused: false,
    routerCapabilities: { headerRoutes: true, mirror: true, weights: true },
    ...overrides,
  }
}
