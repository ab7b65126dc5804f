/** The defaults normalisation applies to a Rollout: every field left out of a spec gets its value here. */
import type { JudgeName } from '../../analysis/types.js'

export const DEFAULTS = {
  replicas: 1,
  intervalSeconds: 10,
  judge: 'sequential' as JudgeName,
  alpha: 0.05,
  threshold: 5,
  minCanaryRequests: 50,
  consecutiveErrorLimit: 4,
  progressDeadlineSeconds: 600,
  scaleDownDelaySeconds: 30,
  abortScaleDownDelaySeconds: 30,
  webhookTimeoutSeconds: 10,
  maxWeight: 100,
  advisorTimeoutSeconds: 60,
} as const
