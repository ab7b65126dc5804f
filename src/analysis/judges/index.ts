/** The judges by name, as `spec.analysis.judge` selects them. */
import type { JudgeName } from '../types.js'
import type { Judge } from './judge.js'
import { limitJudge } from './limit.js'
import { sequentialJudge } from './sequential.js'
import { thresholdJudge } from './threshold.js'

export const judges: Record<JudgeName, Judge> = {
  threshold: thresholdJudge,
  limit: limitJudge,
  sequential: sequentialJudge,
}

export type { Judge }
