import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  addToSketch,
  binValue,
  emptySketch,
  LATENCY_RELATIVE_ACCURACY,
  mergeSketch,
  SKETCH_MAX_BIN,
  SKETCH_MIN_MS,
  sketchBin,
  sketchBins,
  sketchCountAbove,
  sketchQuantile,
  sketchSince,
  type LatencySketch,
} from './latency-sketch.js'
import { propertyRuns } from '../test-utils/property-runs.js'

/** Floating point at bin edges: the bound holds up to rounding of the logarithm. */
const EPSILON = 1e-9

function sketchOf(values: readonly number[]): LatencySketch {
  const s = emptySketch()
  for (const v of values) addToSketch(s, v)
  return s
}

/** The exact quantile under the sketch's definition: the value at rank ⌊q·(n−1)⌋ of the sorted set. */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(q * (sorted.length - 1))] as number
}

/** Latencies from 2 µs to 10 minutes, log-uniform, as real latencies spread. */
const latency = fc
  .double({ min: Math.log(0.002), max: Math.log(600_000), noNaN: true })
  .map((x) => Math.exp(x))
const latencies = fc.array(latency, { minLength: 1, maxLength: 400 })
const quantile = fc.oneof(
  fc.constantFrom(0, 0.5, 0.9, 0.95, 0.99, 0.999, 1),
  fc.double({ min: 0, max: 1, noNaN: true }),
)

describe('latency sketch', () => {
  it('gives every quantile within the stated relative error of the exact one', () => {
    fc.assert(
      fc.property(latencies, quantile, (values, q) => {
        const exact = exactQuantile(values, q)
        const estimate = sketchQuantile(sketchOf(values), q)
        expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(
          LATENCY_RELATIVE_ACCURACY + EPSILON,
        )
      }),
      propertyRuns(400),
    )
  })

  it('merges into exactly the sketch of the union, in any order', () => {
    fc.assert(
      fc.property(latencies, latencies, latencies, (a, b, c) => {
        const union = sketchOf([...a, ...b, ...c])
        const merged = mergeSketch(mergeSketch(sketchOf(a), sketchOf(b)), sketchOf(c))
        const otherOrder = mergeSketch(sketchOf(c), mergeSketch(sketchOf(b), sketchOf(a)))
        expect(merged).toEqual(union)
        expect(JSON.parse(JSON.stringify(otherOrder))).toEqual(union)
        for (const q of [0.5, 0.99])
          expect(sketchQuantile(merged, q)).toBe(sketchQuantile(union, q))
      }),
      propertyRuns(100),
    )
  })

  it('takes an earlier reading away exactly, and a reading that went down as a restart', () => {
    fc.assert(
      fc.property(latencies, latencies, (first, then) => {
        const before = sketchOf(first)
        const now = sketchOf([...first, ...then])
        expect(sketchSince(now, before)).toEqual(sketchOf(then))
        expect(sketchSince(sketchOf(then), now)).toEqual(sketchOf(then))
      }),
      propertyRuns(100),
    )
  })

  it('counts requests above a threshold within the same relative error', () => {
    fc.assert(
      fc.property(latencies, latency, (values, threshold) => {
        const counted = sketchCountAbove(sketchOf(values), threshold)
        const surelyAbove = values.filter(
          (v) => v > threshold * (1 + 2 * LATENCY_RELATIVE_ACCURACY),
        )
        const possiblyAbove = values.filter(
          (v) => v > threshold * (1 - 2 * LATENCY_RELATIVE_ACCURACY),
        )
        expect(counted).toBeGreaterThanOrEqual(surelyAbove.length)
        expect(counted).toBeLessThanOrEqual(possiblyAbove.length)
      }),
      propertyRuns(200),
    )
  })

  it('keeps zero, sub-microsecond and huge latencies in bounded bins', () => {
    const s = sketchOf([0, -1, SKETCH_MIN_MS / 2, 1e12, Number.POSITIVE_INFINITY])
    expect(s.zero).toBe(3)
    expect(s.count).toBe(5)
    expect(s.keys).toEqual([SKETCH_MAX_BIN])
    expect(sketchQuantile(s, 0)).toBe(0)
    expect(sketchBin(Number.NaN)).toBe(0)
    expect(sketchQuantile(emptySketch(), 0.99)).toBeNaN()
    expect(binValue(SKETCH_MAX_BIN)).toBeGreaterThan(1e8 * (1 - LATENCY_RELATIVE_ACCURACY))
  })

  it('reads 400 ms as 400 ms and a uniform 208–312 ms as its own p99, not a bucket top', () => {
    const at400 = sketchQuantile(sketchOf(new Array<number>(1000).fill(400)), 0.99)
    expect(Math.abs(at400 - 400) / 400).toBeLessThanOrEqual(LATENCY_RELATIVE_ACCURACY)
    const uniform = Array.from({ length: 2000 }, (_, i) => 208 + (104 * i) / 1999)
    const p99 = sketchQuantile(sketchOf(uniform), 0.99)
    expect(Math.abs(p99 - exactQuantile(uniform, 0.99)) / 311).toBeLessThan(
      LATENCY_RELATIVE_ACCURACY,
    )
    // 41 bins cover the whole range: ln(312/208)/ln(γ).
    expect(sketchBins(sketchOf(uniform))).toBeLessThanOrEqual(42)
  })
})
