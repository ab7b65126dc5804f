/** The rolling strategy: maxSurge and maxUnavailable as whole numbers or percentages, never negative. */
import type { RolloutSpec } from '../schema.js'
import type { DocumentProblems } from './document-problems.js'

type RollingSpec = NonNullable<RolloutSpec['strategy']['rolling']>

export function checkRolling(p: DocumentProblems, rolling: RollingSpec): void {
  for (const key of ['maxSurge', 'maxUnavailable'] as const) {
    const v = rolling[key]
    if (typeof v === 'string' && !/^\d+%$/.test(v))
      p.add(
        ['spec', 'strategy', 'rolling', key],
        `must be a whole number or a percentage like "25%" (got "${v}")`,
      )
    if (typeof v === 'number' && v < 0)
      p.add(['spec', 'strategy', 'rolling', key], 'must not be negative')
  }
}
