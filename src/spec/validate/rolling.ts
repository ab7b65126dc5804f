/** The rolling strategy: maxSurge and maxUnavailable as whole numbers or percentages, never negative. */
import { RollingSchema } from '../schema.js'
import { quote } from '../shown-value.js'
import type { DocumentProblems } from './document-problems.js'
import { soundSections } from './sound-parts.js'

/** `rolling` as written; each field is read once it passes the schema. */
export function checkRolling(p: DocumentProblems, rolling: unknown): void {
  const r = soundSections(RollingSchema, rolling)
  if (r === undefined) return
  for (const key of ['maxSurge', 'maxUnavailable'] as const) {
    const v = r.sound[key]
    if (typeof v === 'string' && !/^\d+%$/.test(v))
      p.add(
        ['spec', 'strategy', 'rolling', key],
        `must be a whole number or a percentage like "25%" (got ${quote(v)})`,
      )
    if (typeof v === 'number' && v < 0)
      p.add(['spec', 'strategy', 'rolling', key], 'must not be negative')
  }
}
