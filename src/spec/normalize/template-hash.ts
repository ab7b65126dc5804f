/** The revision key of a Rollout: a stable hash of its workload template, whatever the key order. */
import { createHash } from 'node:crypto'
import type { Rollout } from '../schema.js'

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    )
  }
  return value
}

/** A stable hash of the workload template: a change means a new revision. */
export function rolloutTemplateHash(rollout: Pick<Rollout, 'spec'>): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(rollout.spec.workload)))
    .digest('hex')
    .slice(0, 10)
}
