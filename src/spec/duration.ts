/** Durations in specs: a number of seconds, or a string like "500ms", "30s", "5m", "1h", "1m30s". */
import { quote } from './shown-value.js'

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 }
/** The longest duration: Kubernetes' int32 seconds (about 68 years), so time arithmetic stays exact. */
export const MAX_DURATION_SECONDS = 2_147_483_647

function atMostMax(total: number, value: number | string): number | { error: string } {
  return total <= MAX_DURATION_SECONDS
    ? total
    : {
        error: `must be at most ${MAX_DURATION_SECONDS} seconds, about 68 years (got ${typeof value === 'number' ? String(value) : quote(value)})`,
      }
}

/** Seconds, or an error message saying what is wrong. */
export function parseDuration(value: number | string): number | { error: string } {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0
      ? atMostMax(value, value)
      : { error: `must be a duration of 0 or more seconds (got ${value})` }
  }
  const s = value.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return atMostMax(Number(s), value)
  if (s.startsWith('-')) return { error: `must not be negative (got ${quote(value)})` }
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g
  let total = 0
  let consumed = 0
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    if (m.index !== consumed) break
    total += Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] ?? 1)
    consumed = m.index + m[0].length
  }
  if (consumed !== s.length || s.length === 0)
    return {
      error: `must be a duration like "30s", "5m", "1h" or a number of seconds (got ${quote(value)})`,
    }
  return atMostMax(total, value)
}

/** Seconds of a duration already validated; throws if it is not one. */
export function seconds(value: number | string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = parseDuration(value)
  if (typeof parsed !== 'number') throw new Error(parsed.error)
  return parsed
}
