/**
 * Seed and run count of a property or fuzz test: fixed and small by default, so every run checks the
 * same cases and the unit suite stays cheap; KANARI_PROPERTY_SEED replays another seed and
 * KANARI_PROPERTY_RUNS widens (or narrows) every property to that many cases.
 */

export interface PropertyRuns {
  seed: number
  numRuns: number
}

function whole(name: string, fallback: number, min: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${name} must be a whole number of at least ${min}, not "${raw}"`)
  return n
}

/** `defaultRuns` cases from seed 1, unless the environment asks for others. */
export function propertyRuns(defaultRuns: number): PropertyRuns {
  return {
    seed: whole('KANARI_PROPERTY_SEED', 1, -(2 ** 31)),
    numRuns: whole('KANARI_PROPERTY_RUNS', defaultRuns, 1),
  }
}
