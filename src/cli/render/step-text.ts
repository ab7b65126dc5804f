/** A canary step in a few words, as `kanari get` and its watch view list them. */
import type { CanaryStep } from '../../engine/plan.js'

export function stepText(step: CanaryStep): string {
  switch (step.kind) {
    case 'setWeight':
      return `setWeight ${step.weight}`
    case 'pause':
      return step.durationSeconds === undefined
        ? 'pause (until promoted)'
        : `pause ${step.durationSeconds}s`
    case 'analysis':
      return `analysis ${step.analysis.metrics.map((m) => m.name).join(', ')} (${step.analysis.judge})`
    case 'setHeaderRoute':
      return `setHeaderRoute ${step.name}`
    case 'setMirrorRoute':
      return `setMirrorRoute ${step.name} ${step.percentage}%`
    case 'setCanaryScale':
      return 'setCanaryScale'
  }
}
